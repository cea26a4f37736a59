/*
 * `npm run soak`: the long form of the reliability suite, bounded in time and count, 127.0.0.1
 * only. (1) The fuzzers with 20,000 cases each; (2) the database-outage scenarios with a 10 s
 * outage; (3) 2 minutes of sustained load from several SDK clients with token churn. Prints each
 * figure and writes them to .tmp/soak-results.json; exits non-zero when an invariant breaks.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad } from '../src/load-run.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const seconds = Number(process.env.SIGNET_SOAK_SECONDS ?? 120);
const failures: string[] = [];
const lines: string[] = [];

function vitest(files: string[], env: Record<string, string>, what: string): void {
  console.log(`\n== ${what}`);
  const started = Date.now();
  const run = spawnSync('npx', ['vitest', 'run', ...files], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const out = `${run.stdout}${run.stderr}`;
  for (const line of out.split('\n')) if (line.includes('RELIABILITY |')) lines.push(line.trim());
  console.log(
    out
      .split('\n')
      .filter((l) => /RELIABILITY \||Tests |✓|×|FAIL/.test(l))
      .join('\n'),
  );
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (run.status !== 0) failures.push(`${what}: vitest exited ${run.status}\n${out.slice(-4000)}`);
}

vitest(
  ['packages/reliability/test/fuzz-ingest.test.ts', 'packages/reliability/test/fuzz-tokens.test.ts'],
  { SIGNET_FUZZ_RUNS: process.env.SIGNET_FUZZ_RUNS ?? '20000' },
  'fuzzing, 20,000 cases per family',
);
vitest(
  ['packages/reliability/test/database-unavailable.test.ts'],
  { SIGNET_OUTAGE_MS: '10000' },
  'database unavailable for 10 s',
);

console.log(`\n== sustained load: ${seconds} s, SDK clients with token churn`);
const dir = mkdtempSync(join(tmpdir(), 'signet-soak-'));
const file = join(dir, 'signet.db');
const report = await runLoad({ url: `sqlite:${file}`, file }, { seconds, clients: 6, perSecond: 40 });
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(report, null, 2));
const unexpected = Object.keys(report.statuses).filter((s) => s !== '200' && s !== '401');
if (report.lost !== 0) failures.push(`load: ${report.lost} events lost`);
if (report.duplicates !== 0) failures.push(`load: ${report.duplicates} events stored twice`);
if (report.unexpected401 !== 0) failures.push(`load: ${report.unexpected401} unexpected 401s`);
if (unexpected.length > 0) failures.push(`load: unexpected statuses ${unexpected.join(', ')}`);
if (report.serverRssMb.peak > 512)
  failures.push(`load: server peak RSS ${report.serverRssMb.peak} MB > 512 MB`);
if (report.expected401 === 0)
  failures.push('load: the key removals produced no 401 at all (churn not exercised)');

mkdirSync(join(root, '.tmp'), { recursive: true });
writeFileSync(
  join(root, '.tmp/soak-results.json'),
  JSON.stringify({ lines, load: report, failures }, null, 2),
);
console.log(`\nresults: .tmp/soak-results.json`);
if (failures.length > 0) {
  console.error(`\nSOAK FAILED:\n${failures.join('\n')}`);
  process.exit(1);
}
console.log('\nSOAK PASSED');
