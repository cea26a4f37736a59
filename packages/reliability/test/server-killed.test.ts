import { afterEach, describe, expect, it, vi } from 'vitest';
import { BACKENDS } from '../src/databases.ts';
import { checkDelivery, reportLine } from '../src/delivery-check.ts';
import { openScenario, type Scenario } from '../src/scenario.ts';
import { sdkDriver } from '../src/sdk-driver.ts';

// The server process killed with SIGKILL twice, and restarted on the same database, while a
// real SDK keeps tracking for two users: every event is stored once, for its own user.

let world: Scenario | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe.each(BACKENDS)('server killed twice mid-send ($name)', (backend) => {
  it.skipIf(backend.unavailable !== null)(
    'stores every tracked event exactly once, and the SDK stats agree',
    async () => {
      world = await openScenario(backend);
      const w = world;
      const driver = sdkDriver(
        { appId: w.app.appId, endpoint: w.proxy.url },
        {
          alice: await w.app.sign('alice'),
          bob: await w.app.sign('bob'),
        },
      );
      const sending = driver.trackOver(90, 25);
      // Each kill lands while the SDK is sending: as soon as one more request reached the server.
      for (let kill = 0; kill < 2; kill++) {
        const seen = w.proxy.requests.length;
        // Up to 30 s: after a kill the SDK's backoff grows (0.75, 1.5, 3, 6 s …) while the server
        // restarts, and on a loaded machine 10 s was seen to pass without a request.
        await vi.waitFor(() => expect(w.proxy.requests.length).toBeGreaterThan(seen), {
          timeout: 30_000,
          interval: 20,
        });
        await w.restart();
      }
      await sending;
      await driver.drain(30_000);
      const report = checkDelivery(driver.tracked, await w.app.events(), w.proxy.requests);
      const stats = driver.signet.stats();
      console.info(
        reportLine(
          'server SIGKILL ×2 + restart',
          backend.name,
          report,
          `sdk sent ${stats.sent}, duplicates acknowledged ${stats.duplicatesAcknowledged}`,
        ),
      );
      expect(report).toMatchObject({
        tracked: 90,
        stored: 90,
        duplicates: 0,
        lost: 0,
        misattributed: 0,
        foreignTokens: 0,
      });
      // The SDK counts each stored event once: tracks plus the one anonymous→alice alias.
      expect(stats).toMatchObject({ queued: 0, dropped: 0 });
      // Every stored event was acknowledged to the SDK once: as newly stored, or (sent before a crash it never heard about) as a duplicate.
      expect(stats.sent + stats.duplicatesAcknowledged).toBe(report.storedRows);
      expect(report.storedRows).toBe(91);
      expect(report.failedSends).toBeGreaterThan(0); // the kills did hit sends
      await driver.signet.close();
    },
    120_000,
  );
});
