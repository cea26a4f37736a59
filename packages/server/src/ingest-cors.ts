import type { FastifyCorsOptions } from '@fastify/cors';

/**
 * CORS for the ingestion route only: SDK data comes from customers' sites on any origin, with
 * the user's token in `Authorization` (no cookies, so `*` is safe). The SDK reads `Date` (server
 * time for token expiry) and `Retry-After` (backoff), which browsers hide unless exposed.
 * The admin API stays same-origin: the plugin is registered in the ingestion routes' own
 * context (prefix /v1/apps), so its options are normalised once, not per request as a
 * delegator's would be, and its preflight route answers nothing else.
 */
export const INGEST_CORS: FastifyCorsOptions = {
  origin: '*',
  methods: ['POST'],
  allowedHeaders: ['authorization', 'content-type'],
  exposedHeaders: ['date', 'retry-after', 'x-request-id'],
  maxAge: 86_400,
  hideOptionsRoute: true,
};
