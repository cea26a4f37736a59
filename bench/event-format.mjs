// What a slimmer stored-event format would save the SQLite writer: today's events table (text
// app id, fifteen columns, the sender-scoped unique key and the four filter indexes of the events
// API) against a format with an integer app key and one `batches` row for what is constant
// within a batch (user, verified, time, SDK, key, with the three batch-level filter indexes),
// events keeping the unique key and the name index; and the same with each event's body
// without the fields already stored in columns. Not Signet's code: the statements alone, 20-event
// batches in groups of 32 per transaction, WAL and synchronous=FULL as the server runs them,
// formats taking turns. Prints the median CPU and wall time per batch and bytes per event.
//
//   node bench/event-format.mjs            # 5 turns of 600 groups (384,000 events) per format
//   BENCH_ROUNDS=3 BENCH_GROUPS=300 node bench/event-format.mjs
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 600);
const BATCHES_PER_GROUP = 32;
const EVENTS_PER_BATCH = 20;

const TODAY = `
  create table events (seq integer primary key autoincrement, app_id text not null, id text not null,
    type text not null, name text, user_id text, anonymous_id text, session_id text, batch_id text not null,
    sender text not null, sdk_name text, sdk_version text, verified integer, received_at integer not null,
    body text not null, kid text, unique (app_id, sender, id));
  create index events_app_received on events (app_id, received_at, seq);
  create index events_app_user_received on events (app_id, user_id, received_at, seq);
  create index events_app_name_received on events (app_id, name, received_at, seq);
  create index events_app_verified_received on events (app_id, verified, received_at, seq);`;

const SLIM = `
  create table batches (seq integer primary key autoincrement, app integer not null, batch_id text not null,
    user_id text, anonymous_id text, sender text not null, sdk_name text, sdk_version text, verified integer,
    received_at integer not null, kid text);
  create index batches_app_received on batches (app, received_at, seq);
  create index batches_app_user_received on batches (app, user_id, received_at, seq);
  create index batches_app_verified_received on batches (app, verified, received_at, seq);
  create table events (seq integer primary key autoincrement, app integer not null, batch integer not null,
    id text not null, type text not null, name text, session_id text, sender text not null, body text not null,
    unique (app, sender, id));
  create index events_app_name on events (app, name, seq);`;

/** Each format: its schema, and how it stores one batch with prepared statements. */
const FORMATS = {
  today(db) {
    db.exec(TODAY);
    const event = db.prepare(`insert into events (app_id, id, type, name, user_id, anonymous_id, session_id,
      batch_id, sender, sdk_name, sdk_version, verified, received_at, body, kid)
      values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (app_id, sender, id) do nothing`);
    return (b) => {
      for (const e of b.events) {
        event.run(
          'app_0123456789abcdef',
          e.id,
          'track',
          e.name,
          'user-1',
          null,
          null,
          b.batchId,
          'verified:user-1',
          'bench',
          '1',
          1,
          b.at,
          e.body,
          'k1',
        );
      }
    };
  },
  slim: (db) => slim(db, (e) => e.body),
  'slim, short body': (db) => slim(db, (e) => e.rest),
};

function slim(db, bodyOf) {
  db.exec(SLIM);
  const batch = db.prepare(`insert into batches (app, batch_id, user_id, anonymous_id, sender, sdk_name,
    sdk_version, verified, received_at, kid) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const event = db.prepare(`insert into events (app, batch, id, type, name, session_id, sender, body)
    values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (app, sender, id) do nothing`);
  return (b) => {
    const seq = batch.run(
      7,
      b.batchId,
      'user-1',
      null,
      'verified:user-1',
      'bench',
      '1',
      1,
      b.at,
      'k1',
    ).lastInsertRowid;
    for (const e of b.events) event.run(7, seq, e.id, 'track', e.name, null, 'verified:user-1', bodyOf(e));
  };
}

// Time-ordered ids (UUIDv7-shaped, a sequence within each millisecond), as the SDK sends them.
let counter = 0;
const started = Date.now();
function id() {
  counter++;
  const ms = started + Math.floor(counter / 1000);
  const hex = (n, width) => n.toString(16).padStart(width, '0');
  return `${hex(Math.floor(ms / 65536), 8)}-${hex(ms % 65536, 4)}-7${hex(counter % 1000, 3)}-${randomBytes(6).toString('hex')}`;
}

function batch() {
  const events = Array.from({ length: EVENTS_PER_BATCH }, (_, i) => {
    const eventId = id();
    const rest = {
      timestamp: new Date().toISOString(),
      properties: { sku: `SKU-${i}`, price: 19.99, currency: 'EUR' },
    };
    const name = 'Product viewed';
    return {
      id: eventId,
      name,
      body: JSON.stringify({ id: eventId, type: 'track', name, ...rest }),
      rest: JSON.stringify(rest),
    };
  });
  return { batchId: id(), at: Date.now(), events };
}

function measure(name, dir) {
  const file = join(dir, `${name.replace(/\W+/g, '-')}.db`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const store = FORMATS[name](db);
  const begin = db.prepare('begin immediate');
  const commit = db.prepare('commit');
  const groups = Array.from({ length: GROUPS }, () => Array.from({ length: BATCHES_PER_GROUP }, batch));
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  for (const group of groups) {
    begin.run();
    for (const b of group) store(b);
    commit.run();
  }
  const cpu = process.cpuUsage(cpuBefore);
  const wall = performance.now() - wallBefore;
  db.pragma('wal_checkpoint(TRUNCATE)');
  const bytes = statSync(file).size;
  db.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  const batches = GROUPS * BATCHES_PER_GROUP;
  return {
    cpuUs: (cpu.user + cpu.system) / batches,
    wallUs: (wall * 1000) / batches,
    bytesPerEvent: bytes / batches / EVENTS_PER_BATCH,
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const dir = mkdtempSync(join(tmpdir(), 'signet-event-format-'));
const results = Object.fromEntries(Object.keys(FORMATS).map((name) => [name, []]));
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const name of Object.keys(FORMATS)) {
      const r = measure(name, dir);
      results[name].push(r);
      process.stderr.write(
        `round ${round}: ${name}: ${r.cpuUs.toFixed(1)} µs CPU, ${r.wallUs.toFixed(1)} µs wall per batch\n`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  `\nevent format (20-event batches, groups of 32, synchronous=FULL; median of ${ROUNDS} turns of ${GROUPS} groups)`,
);
console.table(
  Object.entries(results).map(([format, rounds]) => ({
    format,
    'CPU µs per batch': Number(median(rounds.map((r) => r.cpuUs)).toFixed(1)),
    'wall µs per batch': Number(median(rounds.map((r) => r.wallUs)).toFixed(1)),
    'file bytes per event': Math.round(median(rounds.map((r) => r.bytesPerEvent))),
  })),
);
