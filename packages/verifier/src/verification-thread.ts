import { readyWorkerCount } from './verification-workers.ts';

/**
 * Where a token's signature is first checked: `this-thread` (fast-jwt on node:crypto,
 * synchronous), `worker-thread` (the same check on a worker thread, on another core), or
 * `auto` to choose per token. `thread-pool` skips both and asks jose alone (WebCrypto, on
 * libuv's threads): it is what every token the other two do not accept goes to, and the
 * reference their answers are tested against.
 */
export type VerifyOn = 'auto' | 'this-thread' | 'worker-thread' | 'thread-pool';

/** Tokens started in this turn of the event loop, by every verifier: the cores are the process's. */
let startedThisTurn = 0;

/**
 * `auto`: a lone token is checked on this thread, because the hop to a worker and back costs
 * more than an RS256 check itself. When several start in the same turn of the event loop, this
 * thread keeps one in every (workers + 1) and the workers take the rest, so every core checks
 * signatures (`npm run bench:verify`: 1.3 to 1.7 times a single thread's raw `crypto.verify`).
 * Until the workers have loaded, every token stays here.
 *
 * @example
 * chooseThread('auto'); // 'this-thread' for the first token of a turn; with one worker ready,
 * chooseThread('auto'); // 'worker-thread' for the second, 'this-thread' for the third, …
 */
export function chooseThread(mode: VerifyOn): Exclude<VerifyOn, 'auto'> | 'this-thread-after-send' {
  if (mode !== 'auto') return mode;
  const nth = startedThisTurn++;
  if (nth === 0) {
    queueMicrotask(() => {
      startedThisTurn = 0;
    });
    return 'this-thread';
  }
  const workers = readyWorkerCount();
  if (workers === 0) return 'this-thread';
  // A token sent away costs this thread about a quarter of one checked here: it keeps a little
  // less than an equal share, 2 in 5 with one worker.
  const share = 1 / (workers + 1.5);
  return Math.floor(nth * share) === Math.floor((nth - 1) * share)
    ? 'worker-thread'
    : 'this-thread-after-send';
}
