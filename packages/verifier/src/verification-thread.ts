/**
 * Where a token's signature is checked: `this-thread` (fast-jwt on node:crypto, synchronous),
 * `thread-pool` (node:crypto's callback `verify`, which runs on libuv's threads), or `auto` to
 * choose per token. jose, which judges every refusal, always runs on the pool (WebCrypto).
 */
export type VerifyOn = 'auto' | 'this-thread' | 'thread-pool';

/** Shared by every verifier: the thread pool and this thread are the process's, not an app's. */
let startedThisTurn = false;
let onThreadPoolNow = 0;

/**
 * `auto`: a lone token is checked on this thread, where it is answered soonest. When several
 * tokens start in the same turn of the event loop, or some are still on the pool, the others go
 * to the pool, whose threads check them on the machine's other cores while this thread goes on
 * (≈ 14 µs of this thread per token there, against ≈ 16–22 µs for an RS256 check alone and
 * ≈ 70 µs for ES256, measured by `npm run bench:verify` and docs/decisions.md).
 *
 * @example
 * chooseThread('auto'); // 'this-thread' for the first token of a turn, 'thread-pool' after it
 */
export function chooseThread(mode: VerifyOn): Exclude<VerifyOn, 'auto'> {
  if (mode !== 'auto') return mode;
  if (startedThisTurn || onThreadPoolNow > 0) return 'thread-pool';
  startedThisTurn = true;
  queueMicrotask(() => {
    startedThisTurn = false;
  });
  return 'this-thread';
}

/** Counts a check as on the thread pool; every call is paired with {@link leftThreadPool}. */
export function enteredThreadPool(): void {
  onThreadPoolNow++;
}

export function leftThreadPool(): void {
  onThreadPoolNow--;
}
