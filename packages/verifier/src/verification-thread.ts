/**
 * Where a token's signature is checked: `this-thread` (fast-jwt on node:crypto, synchronous),
 * `thread-pool` (jose on WebCrypto, which runs on libuv's threads), or `auto` to choose per token.
 */
export type VerifyOn = 'auto' | 'this-thread' | 'thread-pool';

/** Shared by every verifier: the thread pool and this thread are the process's, not an app's. */
let startedThisTurn = false;
let onThreadPoolNow = 0;

/**
 * `auto`: a lone token is checked on this thread, because the hop to the thread pool and back
 * costs more than an RS256 signature check itself. When several tokens start in the same turn of
 * the event loop, or some are still on the pool, the others go to the pool, whose threads check
 * them in parallel on the machine's other cores.
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

/** Runs `work` (a WebCrypto check) counted as on the thread pool until it settles. */
export async function onThreadPool<T>(work: () => Promise<T>): Promise<T> {
  onThreadPoolNow++;
  try {
    return await work();
  } finally {
    onThreadPoolNow--;
  }
}
