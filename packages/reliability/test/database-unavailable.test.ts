import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS } from '../src/databases.ts';
import { checkDelivery, reportLine } from '../src/delivery-check.ts';
import { openScenario, type Scenario } from '../src/scenario.ts';
import { sdkDriver } from '../src/sdk-driver.ts';

// The database refusing work for a while (SQLite: another connection holds BEGIN EXCLUSIVE;
// PostgreSQL: closed to connections, open ones killed) while a real SDK keeps sending. The
// server answers 503 + Retry-After, the SDK waits and retries, and nothing is lost or doubled.

const OUTAGE_MS = Number(process.env.SIGNET_OUTAGE_MS ?? 2_500);

let world: Scenario | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe.each(BACKENDS)('database unavailable for a while ($name)', (backend) => {
  it.skipIf(backend.unavailable !== null)(
    `stores every tracked event exactly once after a ${OUTAGE_MS} ms outage`,
    async () => {
      world = await openScenario(backend);
      const w = world;
      const driver = sdkDriver(
        { appId: w.app.appId, endpoint: w.proxy.url },
        { alice: await w.app.sign('alice'), bob: await w.app.sign('bob') },
      );
      driver.track(10);
      await driver.signet.flush();
      const sending = driver.trackOver(Math.round(OUTAGE_MS / 25) + 20, 25);
      await w.db.unavailableFor(OUTAGE_MS);
      await sending;
      await driver.drain(30_000 + OUTAGE_MS);
      const report = checkDelivery(driver.tracked, await w.app.events(), w.proxy.requests);
      const stats = driver.signet.stats();
      const answered503 = w.proxy.requests.filter((r) => r.upstreamStatus === 503).length;
      console.info(
        reportLine(
          `database unavailable ${OUTAGE_MS / 1000} s`,
          backend.name,
          report,
          `503 answers ${answered503}`,
        ),
      );
      expect(answered503).toBeGreaterThan(0); // the outage did reach the clients
      expect(
        w.proxy.requests.every(
          (r) => r.upstreamStatus === null || r.upstreamStatus < 500 || r.upstreamStatus === 503,
        ),
      ).toBe(true);
      expect(report).toMatchObject({
        stored: report.tracked,
        duplicates: 0,
        lost: 0,
        misattributed: 0,
        foreignTokens: 0,
      });
      expect(stats).toMatchObject({ queued: 0, dropped: 0 });
      // Every stored event was acknowledged to the SDK once: as newly stored, or (sent before a crash it never heard about) as a duplicate.
      expect(stats.sent + stats.duplicatesAcknowledged).toBe(report.storedRows);
      await driver.signet.close();
    },
    60_000,
  );
});
