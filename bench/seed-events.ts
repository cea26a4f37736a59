import { randomUUID } from 'node:crypto';
import { openStore, type Store } from '@signet/server';
import pg from 'pg';

/*
 * Many events, fast, through the store's own batch writer (group commit, 500-event batches, 8
 * in flight): what bench/export.ts and bench/retention.ts start from.
 */

type BatchToStore = Parameters<Store['storeBatch']>[0];

const PER_BATCH = 500;
const SEED_CONCURRENCY = 8;
const NAMES = ['Viewed', 'Added to cart', 'Bought', 'Searched', 'Signed in', 'Shared', 'Rated', 'Opened'];

/**
 * Stores `events` events of `appId` received evenly between `from` and `to` (ms), in batches of
 * one user each (2,000 users, one batch in ten unverified); answers the seconds it took.
 */
export async function seedEvents(
  databaseUrl: string,
  appId: string,
  events: number,
  from: number,
  to: number,
): Promise<number> {
  const started = performance.now();
  const store = openStore(databaseUrl, { poolSize: 4 });
  const batches = Math.ceil(events / PER_BATCH);
  let next = 0;
  const worker = async () => {
    for (let b = next++; b < batches; b = next++) {
      const receivedAt = from + Math.floor(((to - from) * b) / batches);
      await store.storeBatch(batchOf(appId, b, receivedAt, Math.min(PER_BATCH, events - b * PER_BATCH)));
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
  await store.close();
  return (performance.now() - started) / 1000;
}

/**
 * `ANALYZE batches, events` on PostgreSQL: the statistics autovacuum keeps on a table that grew over time.
 * A table loaded a moment ago has none (and this machine's PostgreSQL runs with autovacuum off),
 * so the planner would sort every expired or exported range instead of reading the index.
 */
export async function analyzeEvents(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('ANALYZE batches, events');
  } finally {
    await client.end();
  }
}

function batchOf(appId: string, b: number, receivedAt: number, count: number): BatchToStore {
  const user = `user-${b % 2_000}`;
  // One batch in ten unverified, as an optional-mode app might see.
  const verified = b % 10 !== 0;
  return {
    appId,
    batchId: randomUUID(),
    receivedAt,
    userId: user,
    anonymousId: null,
    sdkName: 'signet-web',
    sdkVersion: '1.0.0',
    verified,
    events: Array.from({ length: count }, (_, i) => {
      const id = randomUUID();
      const name = NAMES[(b + i) % NAMES.length] as string;
      const body = JSON.stringify({
        id,
        type: 'track',
        name,
        timestamp: new Date(receivedAt - 1_000).toISOString(),
        properties: { sku: `sku-${i % 300}`, price: (i % 50) + 0.99, currency: 'EUR' },
        context: {
          library: { name: 'signet-web', version: '1.0.0' },
          locale: 'en-GB',
          timezone: 'Europe/London',
        },
      });
      return { id, type: 'track' as const, name, sessionId: null, body };
    }),
    outcome: verified
      ? { outcome: 'verified', code: null, reason: null }
      : { outcome: 'unverified', code: 'INVALID_SIGNATURE', reason: 'signature_invalid' },
    keyUsed: null,
    failure: null,
  };
}
