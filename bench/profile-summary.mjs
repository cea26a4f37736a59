// Summarises a V8 .cpuprofile written under load (BENCH_PROFILE_DIR): the share of time idle,
// in GC and in each function's own code, counted only over the loaded window (the longest run
// of one-second slices that are less than 90 % idle), so start-up and waiting between rounds
// do not dilute it.
//
//   node bench/profile-summary.mjs FILE.cpuprofile [top=20]
import { readFileSync } from 'node:fs';

const [file, top = '20'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/profile-summary.mjs FILE.cpuprofile [top]\n');
  process.exit(1);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const samples = [];
let at = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  at += profile.timeDeltas[i] ?? 0;
  const next = profile.timeDeltas[i + 1] ?? 0;
  samples.push({ at, weight: next, frame: nodes.get(profile.samples[i]).callFrame });
}

// The loaded window: consecutive one-second slices in which the thread was busy at least 10 %.
const slices = new Map();
for (const s of samples) {
  const slice = Math.floor((s.at - profile.startTime) / 1e6);
  const entry = slices.get(slice) ?? { idle: 0, all: 0 };
  entry.all += s.weight;
  if (s.frame.functionName === '(idle)') entry.idle += s.weight;
  slices.set(slice, entry);
}
let best = [0, -1];
let run = null;
for (const slice of [...slices.keys()].sort((a, b) => a - b)) {
  const { idle, all } = slices.get(slice);
  if (all > 0 && idle / all < 0.9) {
    run = run && run[1] === slice - 1 ? [run[0], slice] : [slice, slice];
    if (run[1] - run[0] > best[1] - best[0]) best = run;
  } else run = null;
}
const inWindow = (s) => {
  const slice = Math.floor((s.at - profile.startTime) / 1e6);
  return slice >= best[0] && slice <= best[1];
};

const self = new Map();
let total = 0;
for (const s of samples.filter(inWindow)) {
  total += s.weight;
  const f = s.frame;
  const where = f.url ? ` ${f.url.split('/').slice(-3).join('/')}:${f.lineNumber + 1}` : '';
  const key = `${f.functionName || '(anonymous)'}${where}`;
  self.set(key, (self.get(key) ?? 0) + s.weight);
}
console.log(
  `${file}\nloaded window: ${best[1] - best[0] + 1} s (seconds ${best[0]}–${best[1]} of the profile)`,
);
for (const [key, time] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
  console.log(`${((100 * time) / total).toFixed(1).padStart(5)} %  ${key}`);
}
