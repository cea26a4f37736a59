/** The database cannot be reached or cannot write now; the request may be retried. */
export class StorageUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageUnavailableError';
  }
}

/** Recognises, among a driver's errors, those that mean "the database is unavailable now". */
export type OutageTest = (error: unknown) => boolean;

/**
 * `error` as the store throws it: an outage (as `isOutage` recognises it) becomes
 * StorageUnavailableError, answered 503 with Retry-After; anything else is a bug and stays as is.
 */
export function asStorageError(error: unknown, isOutage: OutageTest): unknown {
  if (error instanceof StorageUnavailableError || !isOutage(error)) return error;
  return new StorageUnavailableError(`database unavailable: ${(error as Error).message}`, { cause: error });
}

/**
 * The same methods, each throwing `asStorageError`: a backend maps its driver's outage errors in
 * this one place rather than in every query.
 *
 * @example
 * const store = withStorageErrors({ ...registry, ...readers, ...writer, ...lifecycle }, isSqliteOutage);
 */
export function withStorageErrors<T extends object>(methods: T, isOutage: OutageTest): T {
  const mapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(methods)) {
    mapped[name] =
      typeof method !== 'function'
        ? method
        : async (...args: unknown[]) => {
            try {
              return await method.apply(methods, args);
            } catch (error) {
              throw asStorageError(error, isOutage);
            }
          };
  }
  return mapped as T;
}
