// The PostgreSQL side of bench/event-format.mjs: what the same slimmer stored-event formats
// (the one migration 006 shipped among them) save PostgreSQL's backend, which is the ceiling of the one group lane (BENCHMARKS.md). Not
// Signet's code: each group of 32 twenty-event batches goes as the group statement sends it, one
// JSON array of rows inserted with ON CONFLICT DO NOTHING (the slim formats also insert one
// `batches` row per batch first, in the same transaction). Formats take turns in a database made
// for the run; prints the median backend CPU (from /proc, so PostgreSQL must run on this machine)
// and wall time per batch, and table plus index bytes per event.
//
//   node bench/event-format-postgres.mjs            # 5 turns of 200 groups (128,000 events) per format
//   BENCH_ROUNDS=3 BENCH_GROUPS=100 node bench/event-format-postgres.mjs
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
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
const GROUPS = Number(process.env.BENCH_GROUPS ?? 200);
const BATCHES_PER_GROUP = 32;
const ADMIN_URL = process.env.SIGNET_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const TODAY = `
  create table events (seq bigserial primary key, app_id text not null, id text not null, type text not null,
    name text, user_id text, anonymous_id text, session_id text, batch_id text not null, sender text not null,
    sdk_name text, sdk_version text, verified integer, received_at bigint not null, body text not null, kid text,
    unique (app_id, sender, id));
  create index on events (app_id, received_at, seq);
  create index on events (app_id, user_id, received_at, seq);
  create index on events (app_id, name, received_at, seq);
  create index on events (app_id, verified, received_at, seq);`;

const SLIM = `
  create table batches (seq bigint primary key, app integer not null, batch_id text not null, user_id text,
    anonymous_id text, sender text not null, sdk_name text, sdk_version text, verified integer,
    received_at bigint not null, kid text);
  create index on batches (app, received_at, seq);
  create index on batches (app, user_id, received_at, seq);
  create index on batches (app, verified, received_at, seq);
  create table events (seq bigserial primary key, app integer not null, batch bigint not null, id text not null,
    type text not null, name text, session_id text, sender text not null, body text not null,
    unique (app, sender, id));
  create index on events (app, name, seq);`;

/** Migration 006's format: text app id, derived event seqs, the time on events for the name index. */
const SHIPPED = `
  create table batches (seq bigint primary key, app_id text not null, batch_id text not null, user_id text,
    anonymous_id text, sender text not null, sdk_name text, sdk_version text, verified integer, kid text,
    received_at bigint not null, events integer not null);
  create index on batches (app_id, received_at, seq);
  create index on batches (app_id, user_id, received_at, seq);
  create index on batches (app_id, verified, received_at, seq);
  create table events (seq bigint primary key, app_id text not null, id text not null, type text not null,
    name text, session_id text, sender text not null, received_at bigint not null, body text not null,
    unique (app_id, sender, id));
  create index on events (app_id, name, received_at, seq);`;

let batchSeq = 0;

/** Each format: its schema, and the statements that store one group. */
const FORMATS = {
  'before 006': {
    schema: TODAY,
    async store(client, group) {
      const rows = group.flatMap((b) => b.events.map((e) => todayRow(b, e)));
      await client.query(
        `insert into events (app_id, id, type, name, user_id, anonymous_id, session_id, batch_id, sender,
           sdk_name, sdk_version, verified, received_at, body, kid)
         select r->>0, r->>1, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7, r->>8, r->>9, r->>10,
           (r->>11)::integer, (r->>12)::bigint, r->>13, r->>14
         from jsonb_array_elements($1::jsonb) as r
         on conflict (app_id, sender, id) do nothing`,
        [JSON.stringify(rows)],
      );
    },
  },
  'shipped (migration 006)': {
    schema: SHIPPED,
    async store(client, group) {
      const batches = [];
      const events = [];
      for (const b of group) {
        const rows = shippedRows(++batchSeq, b);
        batches.push(rows.batch);
        events.push(...rows.events);
      }
      await client.query('begin');
      await client.query(
        `insert into events (seq, app_id, id, type, name, session_id, sender, received_at, body)
         select (r->>0)::bigint, r->>1, r->>2, r->>3, r->>4, r->>5, r->>6, (r->>7)::bigint, r->>8
         from jsonb_array_elements($1::jsonb) as r
         on conflict (app_id, sender, id) do nothing`,
        [JSON.stringify(events)],
      );
      await client.query(
        `insert into batches (seq, app_id, batch_id, user_id, anonymous_id, sender, sdk_name, sdk_version, verified,
           kid, received_at, events)
         select (r->>0)::bigint, r->>1, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7, (r->>8)::integer, r->>9,
           (r->>10)::bigint, (r->>11)::integer
         from jsonb_array_elements($1::jsonb) as r`,
        [JSON.stringify(batches)],
      );
      await client.query('commit');
    },
  },
  slim: { schema: SLIM, store: (client, group) => storeSlim(client, group, (e) => e.body) },
  'slim, short body': { schema: SLIM, store: (client, group) => storeSlim(client, group, (e) => e.rest) },
};

async function storeSlim(client, group, bodyOf) {
  const batches = group.map((b) => [++batchSeq, ...slimBatchRow(b)]);
  const events = group.flatMap((b, i) => b.events.map((e) => slimEventRow(batches[i][0], e, bodyOf(e))));
  await client.query('begin');
  await client.query(
    `insert into batches (seq, app, batch_id, user_id, anonymous_id, sender, sdk_name, sdk_version, verified,
       received_at, kid)
     select (r->>0)::bigint, (r->>1)::integer, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7, (r->>8)::integer,
       (r->>9)::bigint, r->>10
     from jsonb_array_elements($1::jsonb) as r`,
    [JSON.stringify(batches)],
  );
  await client.query(
    `insert into events (app, batch, id, type, name, session_id, sender, body)
     select (r->>0)::integer, (r->>1)::bigint, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7
     from jsonb_array_elements($1::jsonb) as r
     on conflict (app, sender, id) do nothing`,
    [JSON.stringify(events)],
  );
  await client.query('commit');
}

/** CPU seconds a process has used so far (user + system, from /proc; Linux clock ticks of 10 ms). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function measure(name, url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('drop table if exists events, batches');
    await client.query(FORMATS[name].schema);
    const backend = (await client.query('select pg_backend_pid() as pid')).rows[0].pid;
    const groups = Array.from({ length: GROUPS }, () => Array.from({ length: BATCHES_PER_GROUP }, batch));
    const cpuBefore = cpuSeconds(backend);
    const wallBefore = performance.now();
    for (const group of groups) await FORMATS[name].store(client, group);
    const cpu = cpuSeconds(backend) - cpuBefore;
    const wall = performance.now() - wallBefore;
    const { bytes } = (
      await client.query(
        `select coalesce(pg_total_relation_size(to_regclass('events')), 0)
           + coalesce(pg_total_relation_size(to_regclass('batches')), 0) as bytes`,
      )
    ).rows[0];
    const batches = GROUPS * BATCHES_PER_GROUP;
    return {
      cpuUs: (cpu * 1e6) / batches,
      wallUs: (wall * 1000) / batches,
      bytesPerEvent: Number(bytes) / batches / EVENTS_PER_BATCH,
    };
  } finally {
    await client.end();
  }
}

const database = `signet_event_format_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`create database ${database}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${database}`;
const results = Object.fromEntries(Object.keys(FORMATS).map((name) => [name, []]));
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const name of Object.keys(FORMATS)) {
      const r = await measure(name, url.toString());
      results[name].push(r);
      process.stderr.write(
        `round ${round}: ${name}: ${r.cpuUs.toFixed(1)} µs backend CPU, ${r.wallUs.toFixed(1)} µs wall per batch\n`,
      );
    }
  }
} finally {
  await admin.query(`drop database if exists ${database}`);
  await admin.end();
}
console.log(
  `\nevent format on PostgreSQL (20-event batches, groups of 32; median of ${ROUNDS} turns of ${GROUPS} groups)`,
);
console.table(
  Object.entries(results).map(([format, rounds]) => ({
    format,
    'backend CPU µs per batch': Number(median(rounds.map((r) => r.cpuUs)).toFixed(1)),
    'wall µs per batch': Number(median(rounds.map((r) => r.wallUs)).toFixed(1)),
    'table + index bytes per event': Math.round(median(rounds.map((r) => r.bytesPerEvent))),
  })),
);
