import type pg from 'pg';
import { firstOccurrences, hourOf, senderOf, verifiedFlag } from '../batch-rules.ts';
import type { BatchToStore } from '../ingestion-writer.ts';

type Stored = { accepted: number; duplicates: number };
interface Pending {
  batch: BatchToStore;
  resolve: (stored: Stored) => void;
  reject: (error: unknown) => void;
}

/*
 * One statement stores a whole group of simple batches (track events only, nothing to merge,
 * no failure to keep): events as one JSON array of rows (JSON.stringify is native, where pg
 * would escape each element of 13 text arrays in JavaScript) with ON CONFLICT DO NOTHING, then
 * the profiles, key uses and outcome counters of the group, each pre-summed so a row is touched
 * once. It is a named prepared statement, parsed and planned once per connection.
 */
const STORE_GROUP = `
WITH inserted AS (
  INSERT INTO events (app_id, id, type, name, user_id, anonymous_id, session_id, batch_id, sender,
                      sdk_name, sdk_version, verified, received_at, body)
  SELECT r->>0, r->>1, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7, r->>8, r->>9, r->>10, (r->>11)::int,
         (r->>12)::bigint, r->>13
  FROM jsonb_array_elements($1::jsonb) AS r
  ON CONFLICT (app_id, sender, id) DO NOTHING
  RETURNING app_id, sender, id
), profiles AS (
  INSERT INTO users (app_id, user_id, attributes, first_seen, last_seen)
  SELECT u.app_id, u.user_id, '{}', u.seen, u.seen FROM unnest($2::text[], $3::text[], $4::bigint[]) AS u(app_id, user_id, seen)
  ON CONFLICT (app_id, user_id) DO UPDATE SET last_seen = greatest(users.last_seen, excluded.last_seen)
), key_uses AS (
  UPDATE app_keys SET use_count = use_count + k.uses, last_used_at = greatest(coalesce(last_used_at, 0), k.at)
  FROM unnest($5::text[], $6::text[], $7::bigint[], $8::bigint[]) AS k(app_id, kid, uses, at)
  WHERE app_keys.app_id = k.app_id AND app_keys.kid = k.kid
), outcomes AS (
  INSERT INTO auth_outcomes (app_id, hour, outcome, code, reason, batches, events)
  SELECT * FROM unnest($9::text[], $10::bigint[], $11::text[], $12::text[], $13::text[], $14::bigint[], $15::bigint[])
  ON CONFLICT (app_id, hour, outcome, code, reason)
  DO UPDATE SET batches = auth_outcomes.batches + excluded.batches, events = auth_outcomes.events + excluded.events
)
SELECT app_id, sender, id FROM inserted`;

/** True for the batches the group statement can store; others take the transaction path. */
export function isSimpleBatch(batch: BatchToStore): boolean {
  return batch.failure === null && batch.events.every((e) => e.type === 'track');
}

/**
 * Group commit for PostgreSQL: while one group statement runs, arriving batches wait and then
 * go together in the next, so under load many batches share one round trip, one commit (one
 * WAL flush) and one update of each hot counter row; alone, a batch goes at once. Callers are
 * answered only after the statement (and so its commit) returns. Should a group fail, each of
 * its batches is retried alone, so one batch's problem is never another's.
 */
export class PostgresBatchWriter {
  private queue: Pending[] = [];
  private running = false;

  constructor(
    private readonly pool: pg.Pool,
    /** Stores one batch alone (the fallback after a failed group). */
    private readonly storeAlone: (batch: BatchToStore) => Promise<Stored>,
    /** Outage errors fail the whole group at once: retrying each batch alone cannot help. */
    private readonly isUnavailable: (error: unknown) => boolean,
  ) {}

  write(batch: BatchToStore): Promise<Stored> {
    return new Promise((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      try {
        const results = await this.storeGroup(group.map((p) => p.batch));
        group.forEach((p, i) => p.resolve(results[i] as Stored));
      } catch (error) {
        if (this.isUnavailable(error)) for (const p of group) p.reject(error);
        else await Promise.all(group.map((p) => this.storeAlone(p.batch).then(p.resolve, p.reject)));
      }
    }
    this.running = false;
  }

  private async storeGroup(batches: BatchToStore[]): Promise<Stored[]> {
    const eventRows: unknown[][] = [];
    /** Which batch each (app, sender, event id) belongs to: its first occurrence in the group. */
    const owner = new Map<string, number>();
    const profiles = new Map<string, [string, string, number]>();
    const keyUses = new Map<string, [string, string, number, number]>();
    const outcomes = new Map<string, [string, number, string, string, string, number, number]>();

    batches.forEach((b, index) => {
      const sender = senderOf(b);
      for (const e of firstOccurrences(b.events)) {
        const key = eventKey(b.appId, sender, e.id);
        if (owner.has(key)) continue;
        owner.set(key, index);
        eventRows.push([
          b.appId,
          e.id,
          e.type,
          e.name,
          b.userId,
          b.anonymousId,
          e.sessionId,
          b.batchId,
          sender,
          b.sdkName,
          b.sdkVersion,
          verifiedFlag(b.verified),
          b.receivedAt,
          e.body,
        ]);
      }
      if (b.userId !== null) {
        const key = `${b.appId}\u0000${b.userId}`;
        const seen = Math.max(profiles.get(key)?.[2] ?? 0, b.receivedAt);
        profiles.set(key, [b.appId, b.userId, seen]);
      }
      if (b.keyUsed !== null) {
        const key = `${b.appId}\u0000${b.keyUsed}`;
        const use = keyUses.get(key);
        keyUses.set(key, [b.appId, b.keyUsed, (use?.[2] ?? 0) + 1, Math.max(use?.[3] ?? 0, b.receivedAt)]);
      }
      const { outcome, code, reason } = b.outcome;
      const hour = hourOf(b.receivedAt);
      const key = [b.appId, hour, outcome, code ?? '', reason ?? ''].join('\u0000');
      const counted = outcomes.get(key);
      outcomes.set(key, [
        b.appId,
        hour,
        outcome,
        code ?? '',
        reason ?? '',
        (counted?.[5] ?? 0) + 1,
        (counted?.[6] ?? 0) + b.events.length,
      ]);
    });

    const { rows } = await this.pool.query<{ app_id: string; sender: string; id: string }>({
      name: 'signet_store_group',
      text: STORE_GROUP,
      values: [
        JSON.stringify(eventRows),
        ...transpose([...profiles.values()], 3),
        ...transpose([...keyUses.values()], 4),
        ...transpose([...outcomes.values()], 7),
      ],
    });
    const accepted = batches.map(() => 0);
    for (const row of rows) {
      const index = owner.get(eventKey(row.app_id, row.sender, row.id)) as number;
      accepted[index] = (accepted[index] ?? 0) + 1;
    }
    return batches.map((b, i) => ({
      accepted: accepted[i] ?? 0,
      duplicates: b.events.length - (accepted[i] ?? 0),
    }));
  }
}

/** One stored event's identity: ids are unique per app and sender. */
function eventKey(appId: string, sender: string, id: string): string {
  return `${appId}\u0000${sender}\u0000${id}`;
}

/** Column arrays for `unnest`, filled row by row. */
class Columns {
  readonly arrays: unknown[][];
  constructor(width: number) {
    this.arrays = Array.from({ length: width }, () => []);
  }
  push(...row: unknown[]): void {
    row.forEach((value, i) => this.arrays[i]?.push(value));
  }
}

function transpose(rows: unknown[][], width: number): unknown[][] {
  const columns = new Columns(width);
  for (const row of rows) columns.push(...row);
  return columns.arrays;
}
