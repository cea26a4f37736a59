import { Readable } from 'node:stream';
import type { DataReader, EventPosition } from '../store/data-reader.ts';
import { eventToWire } from '../wire.ts';
import type { EventFilters } from './event-filters.ts';

/** Events read per query: big enough to amortise a round trip, small enough to hold briefly. */
export const EXPORT_PAGE_SIZE = 1_000;

/**
 * The matching events as NDJSON, oldest first. Pages are read along the keyset index one at a
 * time and only when the reader wants more (Readable.from pulls the generator as the socket
 * drains), so memory stays at about one page whatever the number of events; a client that goes
 * away ends the walk.
 *
 * @example
 * reply.type('application/x-ndjson').send(exportStream(store, 'app_1', { userId: 'alice' }));
 */
export function exportStream(reader: DataReader, appId: string, filters: EventFilters): Readable {
  return Readable.from(exportLines(reader, appId, filters), { objectMode: false, highWaterMark: 64 * 1024 });
}

async function* exportLines(
  reader: DataReader,
  appId: string,
  filters: EventFilters,
): AsyncGenerator<string> {
  let after: EventPosition | undefined;
  for (;;) {
    const rows = await reader.listEvents(appId, {
      ...filters,
      order: 'oldest',
      limit: EXPORT_PAGE_SIZE,
      ...(after ? { after } : {}),
    });
    if (rows.length === 0) return;
    let chunk = '';
    for (const row of rows) chunk += `${JSON.stringify(eventToWire(row))}\n`;
    yield chunk;
    const last = rows[rows.length - 1];
    if (!last || rows.length < EXPORT_PAGE_SIZE) return;
    after = { receivedAt: last.receivedAt, seq: last.seq };
  }
}
