import { LIMITS } from '@signet/protocol';
import type pg from 'pg';
import {
  attributesColumn,
  countedOf,
  firstOccurrences,
  hourOf,
  type IngestionRecord,
  senderOf,
  verifiedFlag,
} from '../batch-rules.ts';
import {
  BATCH_COLUMNS,
  type BatchColumn,
  batchRow,
  EVENT_COLUMNS,
  EVENT_SEQS_PER_BATCH,
  type EventColumn,
  eventRow,
} from '../event-row.ts';
import type { FailureToKeep, StoredBatch } from '../ingestion-writer.ts';
import type { ProfileMerge } from './postgres-profile-merge.ts';

/** The columns that are not text, as read from a JSON row (`r->>i` is text). */
const CASTS: Partial<Record<EventColumn | BatchColumn, string>> = { verified: 'int', received_at: 'bigint' };
const valueAt = (column: EventColumn | BatchColumn, i: number) => {
  const cast = CASTS[column];
  return cast ? `(r->>${i})::${cast}` : `r->>${i}`;
};

/*
 * A batch row's seq comes from the sequence (so instances sharing the database never collide),
 * and its events' seqs from it (EVENT_SEQS_PER_BATCH); its event count from the events really
 * inserted. An event's JSON row is its eventRow with its position in the seq slot and its
 * batch's place in the group's batch array last.
 */
const BATCH_VALUES = BATCH_COLUMNS.map((column, i) => {
  if (column === 'seq') return 'n.seq';
  if (column === 'events') return 'c.events';
  return valueAt(column, i).replace('r->>', 'n.batch->>');
}).join(', ');
const EVENT_VALUES = EVENT_COLUMNS.map((column, i) =>
  column === 'seq' ? `n.seq * ${EVENT_SEQS_PER_BATCH} + (r->>${i})::bigint` : valueAt(column, i),
).join(', ');
const EVENT_BATCH = EVENT_COLUMNS.length;

/** Numbers the statement's parameters in the order the parts' values are sent. */
type NextParam = () => string;

/** `unnest` of one array parameter per type: rows of columns sent as one array each. */
const unnest = (param: NextParam, types: string[]) =>
  `unnest(${types.map((type) => `${param()}::${type}[]`).join(', ')})`;

/*
 * One statement stores a whole group of records, as data-modifying CTEs. Events go as one JSON
 * array of rows (JSON.stringify is native, where pg would escape each element of 14 text arrays
 * in JavaScript) with ON CONFLICT DO NOTHING; the events it really inserted decide which aliases
 * are linked. Profiles, key uses and outcome counters are pre-summed so each row is touched once,
 * and sorted so that concurrent statements lock shared rows in the same order. A group's
 * statement has only the parts it has rows for (each shape a named prepared statement, parsed
 * and planned once per connection): parts without rows still cost planning and executor set-up.
 */
const INSERTED = (param: NextParam) => `numbered AS MATERIALIZED (
  SELECT nextval('batches_seq_seq') AS seq, batch, n
  FROM jsonb_array_elements(${param()}::jsonb) WITH ORDINALITY AS b(batch, n)
), inserted AS (
  INSERT INTO events (${EVENT_COLUMNS.join(', ')})
  SELECT ${EVENT_VALUES} FROM jsonb_array_elements(${param()}::jsonb) AS r
  JOIN numbered n ON n.n = (r->>${EVENT_BATCH})::bigint
  ON CONFLICT (app_id, sender, id) DO NOTHING
  RETURNING seq, app_id, sender, id
), stored_batches AS (
  INSERT INTO batches (${BATCH_COLUMNS.join(', ')})
  SELECT ${BATCH_VALUES} FROM numbered n
  JOIN (SELECT seq / ${EVENT_SEQS_PER_BATCH} AS seq, count(*) AS events FROM inserted GROUP BY 1) c
    ON c.seq = n.seq)`;

const PART_SQL = {
  profiles: (param: NextParam) => `profiles AS (
  INSERT INTO users (app_id, user_id, attributes, first_seen, last_seen)
  SELECT u.app_id, u.user_id, '{}', u.first_seen, u.last_seen
  FROM ${unnest(param, ['text', 'text', 'bigint', 'bigint'])} AS u(app_id, user_id, first_seen, last_seen)
  ON CONFLICT (app_id, user_id) DO UPDATE SET last_seen = greatest(users.last_seen, excluded.last_seen))`,

  aliases: (param: NextParam) => `aliases AS (
  INSERT INTO aliases (app_id, anonymous_id, user_id, created_at)
  SELECT DISTINCT ON (a.app_id, a.anonymous_id, a.user_id) a.app_id, a.anonymous_id, a.user_id, a.at
  FROM ${unnest(param, ['text', 'text', 'text', 'text', 'text', 'bigint'])}
       WITH ORDINALITY AS a(app_id, sender, id, anonymous_id, user_id, at, n)
  JOIN inserted i ON i.app_id = a.app_id AND i.sender = a.sender AND i.id = a.id
  ORDER BY a.app_id, a.anonymous_id, a.user_id, a.n
  ON CONFLICT (app_id, anonymous_id, user_id) DO NOTHING)`,

  keyUses: (param: NextParam) => `key_uses AS (
  UPDATE app_keys SET use_count = use_count + k.uses, last_used_at = greatest(coalesce(last_used_at, 0), k.at)
  FROM ${unnest(param, ['text', 'text', 'bigint', 'bigint'])} AS k(app_id, kid, uses, at)
  WHERE app_keys.app_id = k.app_id AND app_keys.kid = k.kid)`,

  outcomes: (param: NextParam) => `outcomes AS (
  INSERT INTO auth_outcomes (app_id, hour, outcome, code, reason, batches, events)
  SELECT * FROM ${unnest(param, ['text', 'bigint', 'text', 'text', 'text', 'bigint', 'bigint'])}
  ON CONFLICT (app_id, hour, outcome, code, reason)
  DO UPDATE SET batches = auth_outcomes.batches + excluded.batches, events = auth_outcomes.events + excluded.events)`,

  // The failures kept replace the oldest, so an app keeps the newest LIMITS.maxFailuresKept. The
  // trim sees the rows from before the statement: of those it keeps that many minus the ones
  // added. `cut` is materialized so each app's cut-off is looked up once, not once per row read.
  failures: (param: NextParam) => {
    const appIds = param();
    const rest = ['bigint', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text'];
    return `failures AS (
  INSERT INTO auth_failures (app_id, at, mode, code, reason, kid, subject, user_id, sdk_name, sdk_version)
  SELECT * FROM unnest(${appIds}::text[], ${rest.map((type) => `${param()}::${type}[]`).join(', ')})
), cut AS MATERIALIZED (
  SELECT k.app_id, (SELECT g.id FROM auth_failures g WHERE g.app_id = k.app_id
                    ORDER BY g.id DESC LIMIT 1 OFFSET greatest(${LIMITS.maxFailuresKept} - k.added, 0)) AS last_dropped
  FROM (SELECT app_id, count(*) AS added FROM unnest(${appIds}::text[]) AS n(app_id) GROUP BY app_id) k
), trimmed AS (
  DELETE FROM auth_failures f USING cut WHERE f.app_id = cut.app_id AND f.id <= cut.last_dropped)`;
  },
};

type Part = keyof typeof PART_SQL;

/*
 * What the statement answers: how many events of each batch it inserted, one row per batch (a
 * group of 16 twenty-event batches answers 16 rows, not 320), or, when the group merges
 * profiles, each inserted event, which the merge needs to know.
 */
const ANSWERS = {
  counts: `SELECT n.n AS batch, count(*) AS accepted FROM inserted i JOIN numbered n
  ON n.seq = i.seq / ${EVENT_SEQS_PER_BATCH} GROUP BY n.n`,
  events: 'SELECT app_id, sender, id FROM inserted',
};
type Answer = keyof typeof ANSWERS;

/** The statement's text for a group with rows for `parts`, built once per shape. */
const statementTexts = new Map<string, string>();
function statementText(shape: string, parts: Part[], answer: Answer): string {
  let text = statementTexts.get(shape);
  if (text === undefined) {
    let n = 0;
    const param = () => `$${++n}`;
    const ctes = [INSERTED(param), ...parts.map((part) => PART_SQL[part](param))];
    text = `WITH ${ctes.join(',\n')}\n${ANSWERS[answer]}`;
    statementTexts.set(shape, text);
  }
  return text;
}

/** A row of the statement's answer: a batch's count (by its place in the group), or an event. */
type AnswerRow = { batch: string; accepted: string } | InsertedRow;
type InsertedRow = { app_id: string; sender: string; id: string };

/**
 * The group statement for `records`, and what its answer means for each of them.
 *
 * @example
 * const statement = new GroupStatement(records);
 * const { rows } = await pool.query(statement.query);
 * const stored = statement.stored(rows); // one StoredBatch per record
 */
export class GroupStatement {
  readonly query: pg.QueryConfig;
  /** True when a batch of an identified user carries attributes: its profile merge follows. */
  readonly mergesProfiles: boolean;
  /** Each event sent, by identity: the index of the record that sent it first in the group. */
  private readonly owners = new Map<string, number>();
  /** The record of each batch row, by the batch's place in the group (1-based, as `n.n`). */
  private readonly batchOwners: number[] = [];

  constructor(private readonly records: IngestionRecord[]) {
    const batches: unknown[][] = [];
    const events: unknown[][] = [];
    const aliases: unknown[][] = [];
    const profiles = new Map<string, [string, string, number, number]>();
    const keyUses = new Map<string, [string, string, number, number]>();
    const outcomes = new Map<string, [string, number, string, string, string, number, number]>();
    const failures: [string, number, FailureToKeep][] = [];
    let mergesProfiles = false;

    records.forEach((record, index) => {
      const { appId, at, outcome, events: counted, failure } = countedOf(record);
      const { code, reason } = outcome;
      const hour = hourOf(at);
      const outcomeKey = [appId, hour, outcome.outcome, code ?? '', reason ?? ''].join('\u0000');
      const sum = outcomes.get(outcomeKey);
      outcomes.set(outcomeKey, [
        appId,
        hour,
        outcome.outcome,
        code ?? '',
        reason ?? '',
        (sum?.[5] ?? 0) + 1,
        (sum?.[6] ?? 0) + counted,
      ]);
      if (failure) failures.push([appId, at, failure]);
      if (!('batch' in record)) return;

      const { batch: b } = record;
      const sender = senderOf(b);
      const ordinal = batches.length + 1;
      let candidates = 0;
      firstOccurrences(b.events).forEach((e, position) => {
        const key = eventKey(b.appId, sender, e.id);
        if (this.owners.has(key)) return;
        this.owners.set(key, index);
        candidates++;
        events.push([...eventRow(position, b, e, sender), ordinal]);
        if (e.aliasOf && b.userId !== null) {
          aliases.push([b.appId, sender, e.id, e.aliasOf, b.userId, b.receivedAt]);
        }
      });
      if (candidates > 0) {
        batches.push(batchRow(0, b, sender, verifiedFlag(b.verified), 0));
        this.batchOwners.push(index);
      }
      if (b.userId !== null) {
        const key = `${b.appId}\u0000${b.userId}`;
        const seen = profiles.get(key);
        // A new profile is first seen at its first batch, as if the group's were stored one by one.
        profiles.set(key, [
          b.appId,
          b.userId,
          seen?.[2] ?? b.receivedAt,
          Math.max(seen?.[3] ?? 0, b.receivedAt),
        ]);
        mergesProfiles ||= b.events.some((e) => e.attributes);
      }
      if (b.keyUsed !== null) {
        const key = `${b.appId}\u0000${b.keyUsed}`;
        const use = keyUses.get(key);
        keyUses.set(key, [b.appId, b.keyUsed, (use?.[2] ?? 0) + 1, Math.max(use?.[3] ?? 0, b.receivedAt)]);
      }
    });

    this.mergesProfiles = mergesProfiles;
    const rows: Record<Part, unknown[][]> = {
      profiles: sortedValues(profiles),
      aliases,
      keyUses: sortedValues(keyUses),
      outcomes: sortedValues(outcomes),
      failures: newestFailures(failures),
    };
    const parts = (Object.keys(PART_SQL) as Part[]).filter((part) => rows[part].length > 0);
    const answer: Answer = mergesProfiles ? 'events' : 'counts';
    const shape = `${parts.join('+')}:${answer}`;
    this.query = {
      name: `signet_store_group:${shape}`,
      text: statementText(shape, parts, answer),
      values: [
        JSON.stringify(batches),
        JSON.stringify(events),
        ...parts.flatMap((part) => columns(rows[part])),
      ],
    };
  }

  /** Each record's accepted and duplicate events, from the statement's answer. */
  stored(answer: AnswerRow[]): StoredBatch[] {
    const accepted = this.records.map(() => 0);
    const add = (owner: number | undefined, events: number) => {
      if (owner !== undefined) accepted[owner] = (accepted[owner] ?? 0) + events;
    };
    for (const row of answer) {
      if ('batch' in row) add(this.batchOwners[Number(row.batch) - 1], Number(row.accepted));
      else add(this.owners.get(eventKey(row.app_id, row.sender, row.id)), 1);
    }
    return this.records.map((record, i) => {
      const sent = 'batch' in record ? record.batch.events.length : 0;
      return { accepted: accepted[i] ?? 0, duplicates: sent - (accepted[i] ?? 0) };
    });
  }

  /**
   * The profile merges the inserted events call for: per profile and column, its new
   * `attributes` events in group order (batches in arrival order, events in batch order).
   */
  profileMerges(answer: AnswerRow[]): ProfileMerge[] {
    const inserted = answer.filter((row): row is InsertedRow => 'id' in row);
    const fresh = new Set(inserted.map((row) => eventKey(row.app_id, row.sender, row.id)));
    const merges = new Map<string, ProfileMerge>();
    this.records.forEach((record, index) => {
      if (!('batch' in record)) return;
      const { appId, userId, verified, events } = record.batch;
      if (userId === null) return;
      const sender = senderOf(record.batch);
      for (const e of firstOccurrences(events)) {
        const key = eventKey(appId, sender, e.id);
        if (!e.attributes || !fresh.has(key) || this.owners.get(key) !== index) continue;
        const profile = `${appId}\u0000${userId}`;
        const merge = merges.get(profile) ?? { appId, userId, attributes: [], unverified_attributes: [] };
        merges.set(profile, merge);
        merge[attributesColumn(verified)].push(e);
      }
    });
    return [...merges.values()];
  }
}

/** One stored event's identity: ids are unique per app and sender. */
function eventKey(appId: string, sender: string, id: string): string {
  return `${appId}\u0000${sender}\u0000${id}`;
}

/** The rows of `byKey` in key order: the order in which the statement locks them. */
function sortedValues<T>(byKey: Map<string, T>): T[] {
  return [...byKey.keys()].sort().map((key) => byKey.get(key) as T);
}

/** The failure rows to insert: per app, only the newest that will be kept. */
function newestFailures(failures: [string, number, FailureToKeep][]): unknown[][] {
  const perApp = new Map<string, number>();
  const rows: unknown[][] = [];
  for (let i = failures.length - 1; i >= 0; i--) {
    const [appId, at, f] = failures[i] as [string, number, FailureToKeep];
    const kept = perApp.get(appId) ?? 0;
    if (kept === LIMITS.maxFailuresKept) continue;
    perApp.set(appId, kept + 1);
    rows.push([appId, at, f.mode, f.code, f.reason, f.kid, f.subject, f.userId, f.sdkName, f.sdkVersion]);
  }
  // Inserted oldest first, so ids grow with arrival as they would one by one.
  return rows.reverse();
}

/** Column arrays for `unnest`, from rows of equal width (at least one row). */
function columns(rows: unknown[][]): unknown[][] {
  const arrays: unknown[][] = Array.from({ length: rows[0]?.length ?? 0 }, () => []);
  for (const row of rows) {
    row.forEach((value, i) => {
      arrays[i]?.push(value);
    });
  }
  return arrays;
}
