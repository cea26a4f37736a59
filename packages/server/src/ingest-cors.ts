import type { FastifyCorsOptions } from '@fastify/cors';
import type { FastifyRequest } from 'fastify';

/**
 * CORS for the ingestion route only: SDK data comes from customers' sites on any origin, with
 * the user's token in `Authorization` (no cookies, so `*` is safe). The SDK reads `Date` (server
 * time for token expiry) and `Retry-After` (backoff), which browsers hide unless exposed.
 * The admin API stays same-origin.
 */
const INGEST_CORS: FastifyCorsOptions = {
  origin: '*',
  methods: ['POST'],
  allowedHeaders: ['authorization', 'content-type'],
  exposedHeaders: ['date', 'retry-after', 'x-request-id'],
  maxAge: 86_400,
};

export function ingestCors(
  request: FastifyRequest,
  callback: (error: Error | null, options: FastifyCorsOptions) => void,
) {
  callback(null, request.url.startsWith('/v1/apps/') ? INGEST_CORS : { origin: false });
}
