import type { ServerOptions } from 'node:http';

/**
 * Server options that answer 408 and close a request whose headers or body have not fully
 * arrived within `requestTimeoutMs` (a slow-body client otherwise holds a connection forever).
 * Only the arrival is timed: once the body is in, a slow handler is not cut off, and an idle
 * keep-alive connection falls under Fastify's keepAliveTimeout instead.
 */
export function requestTimeoutOptions(requestTimeoutMs: number): {
  requestTimeout: number;
  http: ServerOptions;
} {
  // Node looks for late requests only every connectionsCheckingInterval (default 30 s, so a
  // close could come 60 s after the start); ten looks per timeout, at most one a second.
  const checkEveryMs = Math.max(10, Math.min(1_000, Math.floor(requestTimeoutMs / 10)));
  return {
    // Fastify sets this on the server it creates (0, never, unless given)…
    requestTimeout: requestTimeoutMs,
    // …while Node checks headersTimeout ≤ requestTimeout when creating it, so both go here too.
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: checkEveryMs,
    },
  };
}
