import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS } from '../src/databases.ts';
import { checkDelivery, reportLine } from '../src/delivery-check.ts';
import { cycle, type Fault } from '../src/fault-proxy.ts';
import { openScenario, type Scenario } from '../src/scenario.ts';
import { sdkDriver } from '../src/sdk-driver.ts';

// Every network fault the proxy knows, in turn, between a real SDK and a real server: lost
// requests, lost answers (stored but unheard), 503 and 429 with Retry-After, and answers held
// past the SDK's request timeout. Nothing is lost; what was stored but unheard is acknowledged
// as a duplicate on the retry, never stored twice.

const SCHEDULE: Fault[] = [
  { kind: 'pass' },
  { kind: 'drop-request' },
  { kind: 'drop-answer' },
  { kind: 'status', status: 503, retryAfterSeconds: 1 },
  { kind: 'pass' },
  { kind: 'status', status: 429, retryAfterSeconds: 1 },
  { kind: 'delay', ms: 1_500 }, // past the SDK's 1 s timeout: the server stored it, the SDK gave up
];

let world: Scenario | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe.each(BACKENDS)('network faults from the proxy ($name)', (backend) => {
  it.skipIf(backend.unavailable !== null)(
    'stores every tracked event exactly once, and counts the unheard ones as duplicates',
    async () => {
      world = await openScenario(backend);
      const w = world;
      w.proxy.setSchedule(cycle(SCHEDULE));
      const driver = sdkDriver(
        { appId: w.app.appId, endpoint: w.proxy.url },
        { alice: await w.app.sign('alice'), bob: await w.app.sign('bob') },
      );
      await driver.trackOver(60, 20);
      await driver.drain(40_000);
      const report = checkDelivery(driver.tracked, await w.app.events(), w.proxy.requests);
      const stats = driver.signet.stats();
      const kinds = new Set(w.proxy.requests.map((r) => r.fault.kind));
      console.info(
        reportLine(
          'proxy: drop request/answer, 503, 429, delay > timeout',
          backend.name,
          report,
          `sdk duplicates acknowledged ${stats.duplicatesAcknowledged}`,
        ),
      );
      expect([...kinds].sort()).toEqual(['delay', 'drop-answer', 'drop-request', 'pass', 'status']);
      expect(report).toMatchObject({
        stored: 60,
        duplicates: 0,
        lost: 0,
        misattributed: 0,
        foreignTokens: 0,
      });
      // Events stored by a request whose answer the SDK never heard come back as duplicates:
      // exactly those, once each; everything else was heard as newly stored.
      const unheard = new Set(
        w.proxy.requests
          .filter(
            (r) => (r.fault.kind === 'drop-answer' || r.fault.kind === 'delay') && r.upstreamStatus === 200,
          )
          .flatMap((r) => (JSON.parse(r.body) as { events: { id: string }[] }).events.map((e) => e.id)),
      );
      expect(unheard.size).toBeGreaterThan(0);
      expect(stats).toMatchObject({ queued: 0, dropped: 0, duplicatesAcknowledged: unheard.size });
      expect(stats.sent + stats.duplicatesAcknowledged).toBe(report.storedRows);
      await driver.signet.close();
    },
    60_000,
  );
});
