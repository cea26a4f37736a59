import { LIMITS } from '@signet/protocol';
import { ApiError } from '../errors.ts';
import type { EventQuery } from '../store/data-reader.ts';

/*
 * The filters the events list and the export share (SPEC §5): userId, name, verified, and
 * from/to on receivedAt. Dates are ISO-8601: a calendar date (midnight UTC) or a date-time with
 * `Z` or an offset; a date-time without a zone names no instant, so it is refused like any
 * other bad date, with a 400 that does not repeat it.
 */

/** The filters' querystring properties, for a route schema. */
export const eventFilterProperties = {
  userId: { type: 'string', minLength: 1, maxLength: LIMITS.maxIdLength },
  name: { type: 'string', minLength: 1, maxLength: LIMITS.maxEventNameLength },
  verified: { type: 'boolean' },
  from: { type: 'string', maxLength: 64, description: 'ISO-8601, inclusive, on receivedAt' },
  to: { type: 'string', maxLength: 64, description: 'ISO-8601, exclusive, on receivedAt' },
} as const;

export interface EventFilterQuerystring {
  userId?: string;
  name?: string;
  verified?: boolean;
  from?: string;
  to?: string;
}

export type EventFilters = Omit<EventQuery, 'limit' | 'order' | 'after'>;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch of an ISO-8601 date or zoned date-time, or null. */
export function parseInstant(text: string): number | null {
  const match = DATE.exec(text) ?? DATE_TIME.exec(text);
  if (!match) return null;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return null;
  // Date.parse rolls 30 February over into March: the calendar date must exist as written.
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return null;
  return ms;
}

function instant(field: 'from' | 'to', text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseInstant(text);
  if (ms === null) {
    throw new ApiError('INVALID_REQUEST', 'invalid_field', `Invalid request: ${field} is not a date`, [
      { pointer: `/${field}`, message: 'must be an ISO-8601 date, or a date-time with Z or an offset' },
    ]);
  }
  return ms;
}

/** The store's filters for a querystring, or a 400 `INVALID_REQUEST` naming the bad field. */
export function eventFilters(query: EventFilterQuerystring): EventFilters {
  const from = instant('from', query.from);
  const to = instant('to', query.to);
  if (from !== undefined && to !== undefined && from > to) {
    throw new ApiError('INVALID_REQUEST', 'invalid_field', 'Invalid request: from is after to', [
      { pointer: '/to', message: 'must not be before from' },
    ]);
  }
  const filters: EventFilters = {};
  if (query.userId !== undefined) filters.userId = query.userId;
  if (query.name !== undefined) filters.name = query.name;
  if (query.verified !== undefined) filters.verified = query.verified;
  if (from !== undefined) filters.from = from;
  if (to !== undefined) filters.to = to;
  return filters;
}
