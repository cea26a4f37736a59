import { RSA_ALGORITHMS, type SigningAlgorithm } from './algorithms.ts';

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
 * costs this thread more than an RSA signature check itself (≈ 25 µs against ≈ 16 µs for RS256,
 * measured by `npm run bench:verify`); RSA tokens therefore always stay here. When several
 * ECDSA or EdDSA tokens start in the same turn of the event loop, or some are still on the
 * pool, the others go to the pool, whose threads check them on the machine's other cores.
 *
 * @example
 * chooseThread('auto', 'ES256'); // 'this-thread' for the first token of a turn, 'thread-pool' after it
 */
export function chooseThread(mode: VerifyOn, alg: SigningAlgorithm): Exclude<VerifyOn, 'auto'> {
  if (mode !== 'auto') return mode;
  if (isRsa(alg)) return 'this-thread';
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

function isRsa(alg: SigningAlgorithm): boolean {
  return (RSA_ALGORITHMS as readonly string[]).includes(alg);
}
