import type { OutageTest } from '../storage-unavailable.ts';

/*
 * Error classes that mean "the database is not there right now" (SQLSTATE): 08 connection
 * exceptions, 53 insufficient resources, 57P01–57P03 shutdown / cannot connect now. Plus the
 * socket-level errors, and the messages of a connection that died or a database closed to
 * connections.
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[123])/;
const UNAVAILABLE_NODE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection error|not currently accepting connections|timeout exceeded when trying to connect|not queryable|Connection ended/i;

/** True when `error`, from pg, means the database is unreachable or cannot write right now. */
export const isPostgresOutage: OutageTest = (error) => {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === 'string' && (UNAVAILABLE_SQLSTATE.test(e.code) || UNAVAILABLE_NODE.has(e.code)))
    return true;
  return typeof e?.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message);
};
