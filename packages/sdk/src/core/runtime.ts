/*
 * The runtime boundary of the core: time, storage, transport and locks come in through these
 * small interfaces, so the core never touches `window` or `node:*` and tests inject each one.
 */

/** Time source and timers. Tests pass a fake clock; Node passes timers that do not hold the process open. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The subset of a fetch `Response` the SDK reads. */
export interface TransportResponse {
  status: number;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}

/** A fetch-like function; global `fetch` is one. Rejects on network failure. */
export type Transport = (
  url: string,
  init: {
    method: 'POST';
    headers: Record<string, string>;
    body: string;
    keepalive?: boolean;
    /** Aborts the request after `requestTimeoutMs`. */
    signal?: AbortSignal;
  },
) => Promise<TransportResponse>;

/**
 * A synchronous key-value store, shaped like `localStorage`. `setItem` returns `false` when the
 * value could only be kept in memory (storage missing or full), which `stats()` counts.
 */
export interface StorageAdapter {
  getItem(key: string): string | null;
  setItem(key: string, value: string): boolean | undefined;
  removeItem(key: string): void;
  /** Every key the adapter holds (the SDK filters by its own prefix). */
  keys(): string[];
  /** Writes out anything buffered; awaited by `flush()` and `logout()`. */
  persist?(): Promise<void>;
}

/**
 * Runs `fn` when this context may send now, so that only one tab sends at a time; resolves
 * undefined without running it when another context does the sending.
 */
export type Locks = <T>(name: string, fn: () => Promise<T>) => Promise<T | undefined>;

/** Timers on the host's global functions. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** No cross-context lock: the sync loop already runs one pass at a time in this context. */
export const noLocks: Locks = (_name, fn) => fn();
