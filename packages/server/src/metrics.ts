import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The server's Prometheus metrics, on a registry of its own (one per app instance). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'signet_' });
  return {
    registry,
    requests: new Counter({
      name: 'signet_http_requests_total',
      help: 'HTTP requests by route, method and status.',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
    authOutcomes: new Counter({
      name: 'signet_auth_outcomes_total',
      help: 'Ingested batches by authentication outcome, JWT error code and reason.',
      labelNames: ['outcome', 'code', 'reason'] as const,
      registers: [registry],
    }),
    batchEvents: new Histogram({
      name: 'signet_batch_events',
      help: 'Events per ingested batch.',
      buckets: [1, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    }),
    jwksFetches: new Counter({
      name: 'signet_jwks_fetches_total',
      help: "Fetches of an app's identity provider JWKS (or discovery document) by outcome: ok or why it failed.",
      labelNames: ['app_id', 'outcome'] as const,
      registers: [registry],
    }),
    jwksKeys: new Gauge({
      name: 'signet_jwks_keys',
      help: "Usable signing keys in an app's cached identity provider JWKS.",
      labelNames: ['app_id'] as const,
      registers: [registry],
    }),
    verificationSeconds: new Histogram({
      name: 'signet_token_verification_seconds',
      help: 'Time to check one token, by whether the verified-token cache answered.',
      labelNames: ['cached'] as const,
      buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05],
      registers: [registry],
    }),
    groupRecords: new Histogram({
      name: 'signet_store_group_records',
      help: 'Batches and refused batches per group transaction of the ingestion writer (group commit).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers: [registry],
    }),
    groupSeconds: new Histogram({
      name: 'signet_store_group_seconds',
      help: 'Time each group transaction held the ingestion writer, which writes one group at a time: its rate times its mean is how busy the writer is.',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5],
      registers: [registry],
    }),
    commitSeconds: new Histogram({
      name: 'signet_store_commit_seconds',
      help: "Time of each group's COMMIT alone: WAL writes and, with synchronous=full, the fsync (SQLite only).",
      buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
