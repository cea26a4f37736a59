// What a slimmer stored-event format saves the SQLite writer: the events table before migration
// 006 (`today`: text app id, fifteen columns, the sender-scoped unique key and the four filter
// indexes of the events API) against the format migration 006 shipped (one `batches` row for
// what is constant within a batch, with the three batch-level filter indexes; events keeping the
// unique key and the name index), a format with an integer app key as well, and the same with
// each event's body without the fields already stored in columns. Not Signet's code: the statements alone, 20-event
// batches in groups of 32 per transaction, WAL and synchronous=FULL as the server runs them,
// formats taking turns. Prints the median CPU and wall time per batch and bytes per event.
//
//   node bench/event-format.mjs            # 5 turns of 600 groups (384,000 events) per format
//   BENCH_ROUNDS=3 BENCH_GROUPS=300 node bench/event-format.mjs
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  batch,
  EVENTS_PER_BATCH,
  median,
  shippedRows,
  slimBatchRow,
  slimEventRow,
  todayRow,
} from './event-format-batches.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 600);
const BATCHES_PER_GROUP = 32;

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

/** Migration 006's format: text app id, derived event seqs, the time on events for the name index. */
const SHIPPED = `
  create table batches (seq integer primary key autoincrement, app_id text not null, batch_id text not null,
    user_id text, anonymous_id text, sender text not null, sdk_name text, sdk_version text, verified integer,
    kid text, received_at integer not null, events integer not null);
  create index batches_app_received on batches (app_id, received_at, seq);
  create index batches_app_user_received on batches (app_id, user_id, received_at, seq);
  create index batches_app_verified_received on batches (app_id, verified, received_at, seq);
  create table events (seq integer primary key, app_id text not null, id text not null, type text not null,
    name text, session_id text, sender text not null, received_at integer not null, body text not null,
    unique (app_id, sender, id));
  create index events_app_name_received on events (app_id, name, received_at, seq);`;

/** Each format: its schema, and how it stores one batch with prepared statements. */
const FORMATS = {
  'before 006'(db) {
    db.exec(TODAY);
    const event = db.prepare(`insert into events (app_id, id, type, name, user_id, anonymous_id, session_id,
      batch_id, sender, sdk_name, sdk_version, verified, received_at, body, kid)
      values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (app_id, sender, id) do nothing`);
    return (b) => {
      for (const e of b.events) event.run(...todayRow(b, e));
    };
  },
  'shipped (migration 006)'(db) {
    db.exec(SHIPPED);
    const batch =
      db.prepare(`insert into batches (seq, app_id, batch_id, user_id, anonymous_id, sender, sdk_name,
      sdk_version, verified, kid, received_at, events) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const event =
      db.prepare(`insert into events (seq, app_id, id, type, name, session_id, sender, received_at, body)
      values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (app_id, sender, id) do nothing`);
    let seq = 0;
    return (b) => {
      const rows = shippedRows(++seq, b);
      for (const row of rows.events) event.run(...row);
      batch.run(...rows.batch);
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
    const seq = batch.run(...slimBatchRow(b)).lastInsertRowid;
    for (const e of b.events) event.run(...slimEventRow(seq, e, bodyOf(e)));
  };
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
