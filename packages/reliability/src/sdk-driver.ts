import { memoryStorage, Signet, type SignetClient, type SignetOptions } from '@signet/sdk';

/**
 * A real Node SDK client that tracks numbered events for several users in turn, each with that
 * user's own token, and remembers which user each `seq` was tracked for.
 *
 * @example
 * const driver = sdkDriver({ appId, endpoint: proxy.url }, { alice: tokenA, bob: tokenB });
 * driver.track(30); await driver.drain(30_000);
 */
export function sdkDriver(
  options: Partial<SignetOptions> & { appId: string; endpoint: string },
  tokens: Record<string, string>,
) {
  const signet: SignetClient = Signet.init({
    networkRequest: { authorization: { jwtEnabled: true } },
    storage: memoryStorage(),
    flushAt: 5,
    flushIntervalMs: 200,
    requestTimeoutMs: 1_000,
    random: () => 0,
    ...options,
  });
  const users = Object.keys(tokens);
  const tracked = new Map<number, string>();
  let seq = 0;
  let current: string | undefined;
  return {
    signet,
    tracked,
    /** Tracks `count` events, switching user every 3 events so that users' batches interleave. */
    track(count: number): void {
      for (let i = 0; i < count; i++, seq++) {
        const user = users[Math.floor(seq / 3) % users.length] as string;
        if (user !== current) {
          signet.identify(user);
          signet.passAuthenticationDetails({
            type: 'jwt',
            token: tokens[user] as string,
            userIdentifier: user,
          });
          current = user;
        }
        signet.track('reliability', { seq, user });
        tracked.set(seq, user);
      }
    },
    /** Tracks `count` events, one every `everyMs`, while faults happen elsewhere. */
    async trackOver(count: number, everyMs: number): Promise<void> {
      for (let i = 0; i < count; i++) {
        this.track(1);
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    },
    /** Flushes until nothing is queued; fails after `deadlineMs`. */
    async drain(deadlineMs: number): Promise<void> {
      const end = Date.now() + deadlineMs;
      while (signet.stats().queued > 0) {
        if (Date.now() > end) throw new Error(`queue not drained: ${JSON.stringify(signet.stats())}`);
        await signet.flush();
        if (signet.stats().queued > 0) await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
  };
}
