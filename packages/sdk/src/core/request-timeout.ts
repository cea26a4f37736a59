import type { Clock } from './runtime.ts';

/** Thrown when a request takes longer than `requestTimeoutMs`; the batch is retried like a network error. */
export class RequestTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/**
 * Runs `work` with an abort signal that fires after `ms` on the injected clock, and rejects with
 * `RequestTimeoutError` then even if `work` ignores the signal: a server that never answers must
 * not hold the one-pass-at-a-time sync loop forever.
 *
 * @example
 * const res = await withTimeout(clock, 30_000, (signal) => fetch(url, { signal }));
 */
export function withTimeout<T>(
  clock: Clock,
  ms: number,
  work: (signal?: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
  let timer: unknown;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => {
      controller?.abort();
      reject(new RequestTimeoutError(ms));
    }, ms);
  });
  return Promise.race([work(controller?.signal), timeout]).finally(() => clock.clearTimeout(timer));
}
