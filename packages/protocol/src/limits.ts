/** The limits of SPEC §3–§5, enforced by the server and respected by the SDK. */
export const LIMITS = {
  /** Largest request body the ingestion endpoint reads (413 `BATCH_TOO_LARGE` beyond). */
  maxBodyBytes: 512 * 1024,
  /** Most events in one batch (413 `BATCH_TOO_LARGE` beyond). */
  maxEventsPerBatch: 500,
  /** Largest single event, serialised as JSON, its context included (400 `INVALID_BATCH` beyond). */
  maxEventBytes: 32 * 1024,
  /** Deepest nesting of objects and arrays in an event's properties, attributes or context (400 `INVALID_BATCH` beyond). */
  maxNestingDepth: 64,
  /** Largest compact JWS the server decodes (`DECRYPTION_FAILED` / `malformed` beyond). */
  maxTokenBytes: 8 * 1024,
  /** Longest id of any kind: batch, event, user, anonymous, session, kid. */
  maxIdLength: 128,
  /** Longest event name. */
  maxEventNameLength: 256,
  /** Longest SDK name or version string. */
  maxSdkFieldLength: 64,
  /** Public keys an app may register (409 `KEY_LIMIT` beyond). */
  maxKeysPerApp: 5,
  /** Newest authentication failures kept per app for the dashboard. */
  maxFailuresKept: 1000,
  /** Default and bounds of an app's clock tolerance, in seconds. */
  defaultClockToleranceSeconds: 60,
  maxClockToleranceSeconds: 300,
  /** Default and bound of an app's maximum token lifetime (`lifetime_too_long` beyond), in seconds. */
  defaultMaxTokenLifetimeSeconds: 30 * 86_400,
  maxTokenLifetimeSeconds: 365 * 86_400,
  /** `GET …/events` page size: default and maximum. */
  defaultEventsPageSize: 100,
  maxEventsPageSize: 1000,
  /** Bounds of an app's `retentionDays` (null keeps events forever). */
  minRetentionDays: 1,
  maxRetentionDays: 3650,
  /** `GET /admin/v1/audit` page size: default and maximum. */
  defaultAuditPageSize: 100,
  maxAuditPageSize: 1000,
  /** Smallest RSA modulus accepted for a public key. */
  minRsaBits: 2048,
} as const;
