import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS } from '../src/databases.ts';
import { checkDelivery, reportLine } from '../src/delivery-check.ts';
import { cycle } from '../src/fault-proxy.ts';
import { openScenario, type Scenario } from '../src/scenario.ts';

// The SDK's own process killed with SIGKILL mid-queue, and started again on the same file
// store: what it had durably tracked is sent once, for its own user, with its own token.

const CHILD = fileURLToPath(new URL('../src/sdk-child.ts', import.meta.url));

let world: Scenario | undefined;
let dir: string | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the child; `until` decides from its output lines when to SIGKILL it (null: let it exit). */
function runChild(settings: object, until: ((lines: string[]) => boolean) | null): Promise<string[]> {
  const child = spawn(process.execPath, ['--conditions=@signet/source', '--import', 'tsx', CHILD], {
    env: { ...process.env, SIGNET_CHILD: JSON.stringify(settings) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let errors = '';
  let buffered = '';
  child.stderr.on('data', (d: Buffer) => {
    errors += String(d);
  });
  child.stdout.on('data', (d: Buffer) => {
    buffered += String(d);
    const parts = buffered.split('\n');
    buffered = parts.pop() as string;
    lines.push(...parts);
    if (until?.(lines) && child.exitCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not finish:\n${errors}`));
    }, 40_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`child exited ${code}:\n${errors}`));
      else resolve(lines);
    });
  });
}

describe.each(BACKENDS)('SDK process killed mid-queue ($name)', (backend) => {
  it.skipIf(backend.unavailable !== null)(
    'sends what it had stored exactly once after a restart on the same file',
    async () => {
      world = await openScenario(backend);
      const w = world;
      dir = mkdtempSync(join(tmpdir(), 'signet-sdk-child-'));
      // Every third batch's answer is lost, so the kill finds acknowledged-but-unheard batches too.
      w.proxy.setSchedule(cycle([{ kind: 'pass' }, { kind: 'pass' }, { kind: 'drop-answer' }]));
      const settings = {
        appId: w.app.appId,
        endpoint: w.proxy.url,
        file: join(dir, 'queue.json'),
        tokens: { alice: await w.app.sign('alice'), bob: await w.app.sign('bob') },
        everyMs: 10,
      };
      const tracked = new Map<number, string>();
      /** The event each killed run may have been tracking when killed: stored at most once. */
      const inFlight: number[] = [];
      for (const [run, count] of [40, 50].entries()) {
        const firstSeq = run * 10_000;
        const lines = await runChild({ ...settings, mode: 'track', firstSeq }, (l) => l.length >= count);
        for (const line of lines) {
          const [, seq, user] = line.split(' ');
          tracked.set(Number(seq), user as string);
        }
        inFlight.push(firstSeq + lines.length);
      }
      const drained = await runChild({ ...settings, mode: 'drain', firstSeq: 0 }, null);
      const stats = JSON.parse((drained.find((l) => l.startsWith('stats ')) as string).slice(6));
      const events = await w.app.events();
      const maybe = events.filter((e) => inFlight.includes(e.properties?.seq as number));
      const report = checkDelivery(
        tracked,
        events.filter((e) => !maybe.includes(e)),
        w.proxy.requests,
      );
      const lostAnswers = w.proxy.requests.filter((r) => r.fault.kind === 'drop-answer').length;
      console.info(
        reportLine(
          'SDK process SIGKILL ×2 + restart (file store)',
          backend.name,
          report,
          `answers dropped ${lostAnswers}, in-flight stored ${maybe.length}, after restart sent ${stats.sent} + duplicates ${stats.duplicatesAcknowledged}`,
        ),
      );
      expect(tracked.size).toBeGreaterThanOrEqual(90);
      expect(report).toMatchObject({
        stored: tracked.size,
        duplicates: 0,
        lost: 0,
        misattributed: 0,
        foreignTokens: 0,
      });
      expect(new Set(maybe.map((e) => e.properties?.seq)).size).toBe(maybe.length);
      expect(lostAnswers).toBeGreaterThan(0);
      expect(stats).toMatchObject({ queued: 0, dropped: 0 });
      // The restarted SDK found work left by the killed one (sent now, or already stored and acknowledged as duplicates).
      expect(stats.sent + stats.duplicatesAcknowledged).toBeGreaterThan(0);
    },
    60_000,
  );
});
