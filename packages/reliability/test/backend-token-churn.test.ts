import { afterEach, describe, expect, it } from 'vitest';
import { backendDriver } from '../src/backend-driver.ts';
import { BACKENDS } from '../src/databases.ts';
import { checkDelivery, reportLine } from '../src/delivery-check.ts';
import { cycle, type Fault } from '../src/fault-proxy.ts';
import { openScenario, type Scenario } from '../src/scenario.ts';

// SignetBackend (SPEC §6.2) sending for 50 users from one process, interleaved, with token
// churn: each user's token is replaced four times during the run, and one token in five is
// already expired. The proxy tells the SDK a server time 5 minutes behind (its Date header), so
// the SDK believes those tokens valid and sends them: the server refuses them (401 expired), the
// listener hears it, and the app's tokenProvider is asked for a fresh one (B3, B9). Some answers
// are lost and some 503s injected on the way. Every batch the proxy saw must carry only its own
// user's token; every event is stored once, for its own user, verified.

const SCHEDULE: Fault[] = [
  { kind: 'pass' },
  { kind: 'pass' },
  { kind: 'pass' },
  { kind: 'pass' },
  { kind: 'pass' },
  { kind: 'drop-answer' },
  { kind: 'pass' },
  { kind: 'pass' },
  { kind: 'pass' },
  { kind: 'pass' },
  { kind: 'status', status: 503, retryAfterSeconds: 1 },
];

let world: Scenario | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe.each(BACKENDS)('SignetBackend: 50 users, token churn ($name)', (backend) => {
  it.skipIf(backend.unavailable !== null)(
    'every batch carries only its own user’s token; nothing lost or doubled; refused tokens replaced by the provider',
    async () => {
      world = await openScenario(backend);
      const w = world;
      w.proxy.setSchedule(cycle(SCHEDULE));
      w.proxy.skewDate(-300);
      const driver = backendDriver({ appId: w.app.appId, endpoint: w.proxy.url }, w.app);
      await driver.run();
      await driver.drain(40_000);
      await driver.backend.close();

      const batches = w.proxy.requests.filter((r) => r.path.includes('/batch'));
      const report = checkDelivery(driver.tracked, await w.app.events(), w.proxy.requests);
      const refused = batches.filter((r) => r.upstreamStatus === 401).length;
      const heard = batches.filter((r) => r.upstreamStatus === 401 && r.fault.kind === 'pass').length;
      const stats = driver.backend.stats();
      console.info(
        reportLine(
          'SignetBackend: 50 users interleaved, token churn (4 tokens each, 1 in 5 expired), drop answer + 503',
          backend.name,
          report,
          `401 expired ${refused} (${heard} heard), provider calls ${driver.providerCalls.length}, tokens given ${driver.given.fresh + driver.given.expired} (${driver.given.expired} expired), sdk duplicates acknowledged ${stats.duplicatesAcknowledged}`,
        ),
      );
      expect(report).toMatchObject({
        tracked: 400,
        stored: 400,
        duplicates: 0,
        lost: 0,
        misattributed: 0,
        foreignTokens: 0,
      });
      // Every batch had a token, and it was its own user's (foreignTokens counts the others).
      expect(batches.every((r) => r.authorization?.startsWith('Bearer '))).toBe(true);
      expect(new Set(batches.map((r) => JSON.parse(r.body).user.id)).size).toBe(50);
      expect(driver.given).toEqual({ fresh: 160, expired: 40 });
      // Expired tokens reached the server and were refused. Each refusal the SDK heard (not those
      // whose answer the proxy dropped: the batch was sent again) reached the listener once.
      expect(heard).toBeGreaterThan(0);
      expect(driver.authErrors.length).toBe(heard);
      expect(
        driver.authErrors.every((e) => e.code === 'TIME_CONSTRAINT_FAILURE' && e.reason === 'expired'),
      ).toBe(true);
      // B9: asked once per refusal heard (fewer when a refusal comes while an ask for that user is
      // still answering) and once per user whose first token looked stale: never more.
      expect(driver.providerCalls.length).toBeGreaterThan(0);
      expect(driver.providerCalls.length).toBeLessThanOrEqual(heard + 50);
      expect(stats).toMatchObject({ queued: 0, dropped: 0, usersPaused: 0 });
      expect(stats.sent + stats.duplicatesAcknowledged).toBe(report.storedRows);
    },
    90_000,
  );
});
