import { SignetBackend, type SignetBackendClient, type SignetBackendOptions } from '@signet/sdk/node';
import type { AppUnderTest } from './app-under-test.ts';

/** How a token given with a call was made. */
export type GivenToken = 'fresh' | 'expired';

/**
 * A real `SignetBackend` tracking numbered events for many users from one process, interleaved,
 * with token churn: every `tokenEvery` rounds each user's call brings a new token, and one token
 * in `expiredEvery` is already expired (issued 17 minutes ago for 15). The app backend's
 * `tokenProvider` signs a fresh token; it is asked when the server refuses one (SPEC B9).
 *
 * @example
 * const driver = backendDriver({ appId, endpoint: proxy.url }, app, { users: 50 });
 * await driver.run(); await driver.drain(30_000);
 */
export function backendDriver(
  options: Partial<SignetBackendOptions> & { appId: string; endpoint: string },
  app: AppUnderTest,
  plan: { users?: number; rounds?: number; tokenEvery?: number; expiredEvery?: number } = {},
) {
  const { users = 50, rounds = 8, tokenEvery = 2, expiredEvery = 5 } = plan;
  const userIds = Array.from({ length: users }, (_, i) => `user-${String(i).padStart(2, '0')}`);
  const providerCalls: string[] = [];
  const authErrors: { code: string; reason: string; userIdentifier: string }[] = [];
  const given: Record<GivenToken, number> = { fresh: 0, expired: 0 };
  const backend: SignetBackendClient = SignetBackend.init({
    flushAt: 20,
    flushIntervalMs: 200,
    requestTimeoutMs: 1_000,
    random: () => 0,
    tokenProvider: async (userId) => {
      providerCalls.push(userId);
      return app.sign(userId);
    },
    ...options,
  });
  backend.registerAuthenticationListener((error) => {
    authErrors.push({ ...error.data });
  });
  const tracked = new Map<number, string>();
  let seq = 0;
  return {
    backend,
    tracked,
    providerCalls,
    authErrors,
    given,
    /**
     * Each round, every user tracks one event, in an order that changes from round to round
     * (user i·7 + round: 7 and 50 share no factor, so every user comes once); one event every
     * `everyMs` so that sends happen between the calls.
     */
    async run(everyMs = 4): Promise<void> {
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < users; k++) {
          const index = (k * 7 + round) % users;
          const userId = userIds[index] as string;
          let token: string | undefined;
          if (round % tokenEvery === 0) {
            const kind: GivenToken = (index + round) % expiredEvery === 0 ? 'expired' : 'fresh';
            token = kind === 'expired' ? await app.sign(userId, 900, 1020) : await app.sign(userId);
            given[kind]++;
          }
          backend.track({
            userId,
            ...(token && { token }),
            name: 'reliability',
            properties: { seq, user: userId },
          });
          tracked.set(seq++, userId);
          await new Promise((resolve) => setTimeout(resolve, everyMs));
        }
      }
    },
    /** Flushes until nothing is queued; fails after `deadlineMs`. */
    async drain(deadlineMs: number): Promise<void> {
      const end = Date.now() + deadlineMs;
      while (backend.stats().queued > 0) {
        if (Date.now() > end) throw new Error(`queue not drained: ${JSON.stringify(backend.stats())}`);
        await backend.flush();
        if (backend.stats().queued > 0) await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
  };
}
