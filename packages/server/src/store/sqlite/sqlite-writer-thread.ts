import { parentPort, workerData } from 'node:worker_threads';
import type { IngestionRecord } from '../batch-rules.ts';
import type { StoredBatch } from '../ingestion-writer.ts';
import type { WrittenGroup } from '../written-group.ts';
import { SqliteBatchWriter } from './sqlite-batch-writer.ts';
import { openSqliteConnection, type SqliteConnectionOptions } from './sqlite-connection.ts';

/*
 * The worker thread that writes batches (started by SqliteWriterClient). It owns a second
 * connection to the store's file, so SQLite's inserts and each COMMIT's fsync run beside the
 * event loop instead of inside it. Records that arrive while a group is being written form the
 * next group, so a slower disk makes groups larger, not answers slower one by one.
 */

/**
 * A record to write, a question whether the thread is up (answered with nothing stored), or the
 * request to finish (sent once every write has been answered).
 */
export type WriteRequest =
  | { id: number; record: IngestionRecord }
  | { id: number; ready: true }
  | { close: true };

/** A write's answer, or what a group took (for /metrics), sent once per group. */
export type WriteAnswer =
  | { id: number; stored: StoredBatch }
  | { id: number; error: { name: string; message: string; code?: string } }
  | { group: WrittenGroup };

const port = parentPort;
if (!port) throw new Error('sqlite-writer-thread runs as a worker thread');
const connection = openSqliteConnection(workerData as SqliteConnectionOptions);
// This thread is the connection's only user: nothing else to wait for.
const writer = new SqliteBatchWriter(
  connection,
  async (write) => write(),
  (group) => port.postMessage({ group } satisfies WriteAnswer),
);

port.on('message', (request: WriteRequest) => {
  if ('close' in request) {
    connection.close();
    port.close();
    return;
  }
  if ('ready' in request) {
    port.postMessage({ id: request.id, stored: { accepted: 0, duplicates: 0 } } satisfies WriteAnswer);
    return;
  }
  const { id, record } = request;
  writer.write(record).then(
    (stored) => port.postMessage({ id, stored } satisfies WriteAnswer),
    (error: unknown) => port.postMessage({ id, error: describe(error) } satisfies WriteAnswer),
  );
});

/** What crosses the thread boundary of an error: its name, message and driver code (SQLITE_…). */
function describe(error: unknown): { name: string; message: string; code?: string } {
  const e = error as { name?: unknown; message?: unknown; code?: unknown };
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(error),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
  };
}
