/** Server settings, read from the environment once at start (each is also a `signet serve` flag). */
export interface ServerConfig {
  port: number;
  host: string;
  databaseUrl: string;
  /** PostgreSQL connections per instance. */
  databasePoolSize: number;
  /** When set, rate limits are shared by every instance through this Redis. */
  redisUrl: string | null;
  /** How often an instance re-checks app versions, should a change notification be missed. */
  changeCheckMs: number;
  /** When set, the admin token; when unset, one is generated on first start and stored hashed. */
  adminToken: string | null;
  logLevel: string;
  /** Ingestion requests per minute per app and per client address; 0 turns a limit off. */
  rateLimitAppPerMinute: number;
  rateLimitClientPerMinute: number;
  /** Verified tokens remembered per app, so a repeated token costs no signature check. */
  tokenCacheSize: number;
  /** Seconds a client is told to wait after a 503. */
  retryAfterSeconds: number;
  sqliteBusyTimeoutMs: number;
  /**
   * `full` (default): a batch answered 200 is on disk, even if the machine loses power next.
   * `normal`: faster, but an OS crash or power loss can lose the last batches answered 200.
   */
  sqliteSynchronous: SqliteSynchronous;
  /**
   * Writes batches on a worker thread (default), so SQLite's work and each fsync run beside the
   * event loop; `false` keeps them on it, which costs less on a machine with a single core.
   */
  sqliteWriterThread: boolean;
  /** Trust X-Forwarded-For from a reverse proxy (for per-client rate limits). */
  trustProxy: boolean;
  /** A request whose headers and body have not fully arrived by then is answered 408 and closed. */
  requestTimeoutMs: number;
  /** When set, `/metrics` needs `Authorization: Bearer <it>`; when unset, it is open. */
  metricsToken: string | null;
  /**
   * Lets identity-provider URLs (`jwksUrl`, discovery) use http and private, loopback or
   * link-local addresses: for tests and on-premise providers only.
   */
  jwksAllowPrivateNetwork: boolean;
  /** How often the server deletes the events apps no longer keep (their `retentionDays`). */
  retentionIntervalMs: number;
}

export type SqliteSynchronous = 'full' | 'normal';

export const DEFAULT_CONFIG: ServerConfig = {
  port: 4000,
  host: '127.0.0.1',
  databaseUrl: 'sqlite:./signet.db',
  databasePoolSize: 10,
  redisUrl: null,
  changeCheckMs: 5_000,
  adminToken: null,
  logLevel: 'info',
  rateLimitAppPerMinute: 30_000,
  rateLimitClientPerMinute: 6_000,
  tokenCacheSize: 10_000,
  retryAfterSeconds: 5,
  sqliteBusyTimeoutMs: 5_000,
  sqliteSynchronous: 'full',
  sqliteWriterThread: true,
  trustProxy: false,
  requestTimeoutMs: 30_000,
  metricsToken: null,
  jwksAllowPrivateNetwork: false,
  retentionIntervalMs: 600_000,
};

/** The environment variable behind each setting, for the README's table and error messages. */
export const CONFIG_ENV: Record<keyof ServerConfig, string> = {
  port: 'PORT',
  host: 'HOST',
  databaseUrl: 'SIGNET_DATABASE_URL',
  databasePoolSize: 'SIGNET_DATABASE_POOL',
  redisUrl: 'SIGNET_REDIS_URL',
  changeCheckMs: 'SIGNET_CHANGE_CHECK_MS',
  adminToken: 'SIGNET_ADMIN_TOKEN',
  logLevel: 'SIGNET_LOG_LEVEL',
  rateLimitAppPerMinute: 'SIGNET_RATE_LIMIT_APP_PER_MINUTE',
  rateLimitClientPerMinute: 'SIGNET_RATE_LIMIT_CLIENT_PER_MINUTE',
  tokenCacheSize: 'SIGNET_TOKEN_CACHE_SIZE',
  retryAfterSeconds: 'SIGNET_RETRY_AFTER_SECONDS',
  sqliteBusyTimeoutMs: 'SIGNET_SQLITE_BUSY_TIMEOUT_MS',
  sqliteSynchronous: 'SIGNET_SQLITE_SYNCHRONOUS',
  sqliteWriterThread: 'SIGNET_SQLITE_WRITER_THREAD',
  trustProxy: 'SIGNET_TRUST_PROXY',
  requestTimeoutMs: 'SIGNET_REQUEST_TIMEOUT_MS',
  metricsToken: 'SIGNET_METRICS_TOKEN',
  jwksAllowPrivateNetwork: 'SIGNET_JWKS_ALLOW_PRIVATE_NETWORK',
  retentionIntervalMs: 'SIGNET_RETENTION_INTERVAL_MS',
};

type IntegerKey = {
  [K in keyof ServerConfig]: ServerConfig[K] extends number ? K : never;
}[keyof ServerConfig];

/** The range of every whole-number setting: one table for the environment and for `buildApp`. */
const INTEGER_RANGES: Record<IntegerKey, readonly [min: number, max: number]> = {
  port: [0, 65_535],
  databasePoolSize: [1, 1000],
  changeCheckMs: [100, 5_000],
  rateLimitAppPerMinute: [0, 1e9],
  rateLimitClientPerMinute: [0, 1e9],
  tokenCacheSize: [0, 10_000_000],
  retryAfterSeconds: [1, 3600],
  sqliteBusyTimeoutMs: [0, 600_000],
  // Shorter than 1 s cuts off honest clients on slow links; longer than 10 min lets one slow
  // client hold a connection for nothing.
  requestTimeoutMs: [1_000, 600_000],
  retentionIntervalMs: [1_000, 86_400_000],
};

/** Reads and checks the configuration; throws one clear message naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const config: ServerConfig = { ...DEFAULT_CONFIG };
  const text = (key: keyof ServerConfig): string | undefined => {
    const value = env[CONFIG_ENV[key]];
    return value === undefined || value === '' ? undefined : value;
  };
  for (const key of Object.keys(INTEGER_RANGES) as IntegerKey[]) {
    const value = text(key);
    if (value === undefined) continue;
    const n = Number(value);
    if (!inRange(key, n)) throw new Error(`${CONFIG_ENV[key]} ${rangeText(key)}, got "${value}"`);
    config[key] = n;
  }
  config.host = text('host') ?? config.host;
  config.databaseUrl = text('databaseUrl') ?? config.databaseUrl;
  config.redisUrl = text('redisUrl') ?? null;
  config.adminToken = text('adminToken') ?? null;
  config.logLevel = text('logLevel') ?? config.logLevel;
  const trust = text('trustProxy');
  if (trust !== undefined && !['true', 'false', '1', '0'].includes(trust)) {
    throw new Error(`${CONFIG_ENV.trustProxy} must be true or false, got "${trust}"`);
  }
  config.trustProxy = trust === 'true' || trust === '1';
  const synchronous = text('sqliteSynchronous');
  if (synchronous !== undefined) config.sqliteSynchronous = synchronous as SqliteSynchronous;
  const writerThread = text('sqliteWriterThread');
  if (writerThread !== undefined && !['true', 'false', '1', '0'].includes(writerThread)) {
    throw new Error(`${CONFIG_ENV.sqliteWriterThread} must be true or false, got "${writerThread}"`);
  }
  config.sqliteWriterThread = writerThread === undefined || writerThread === 'true' || writerThread === '1';
  config.metricsToken = text('metricsToken') ?? null;
  const allowPrivate = text('jwksAllowPrivateNetwork');
  if (allowPrivate !== undefined && !['1', '0', 'true', 'false'].includes(allowPrivate)) {
    throw new Error(`${CONFIG_ENV.jwksAllowPrivateNetwork} must be 1 or 0, got "${allowPrivate}"`);
  }
  config.jwksAllowPrivateNetwork = allowPrivate === '1' || allowPrivate === 'true';
  return checkConfig(config);
}

/**
 * Checks a whole configuration, however it was made (`loadConfig`, or a caller of `buildApp`
 * or `startServer`); throws one clear message naming the setting's variable.
 */
export function checkConfig(config: ServerConfig): ServerConfig {
  for (const key of Object.keys(INTEGER_RANGES) as IntegerKey[]) {
    if (!inRange(key, config[key]))
      throw new Error(`${CONFIG_ENV[key]} ${rangeText(key)}, got ${config[key]}`);
  }
  if (config.sqliteSynchronous !== 'full' && config.sqliteSynchronous !== 'normal') {
    throw new Error(
      `${CONFIG_ENV.sqliteSynchronous} must be full or normal, got "${config.sqliteSynchronous}"`,
    );
  }
  if (config.metricsToken !== null && config.metricsToken.length < 32) {
    throw new Error(`${CONFIG_ENV.metricsToken} must be at least 32 characters`);
  }
  // 32 characters: long enough that guessing is hopeless even past the failed-login throttle.
  if (config.adminToken !== null && config.adminToken.length < 32) {
    throw new Error(
      `${CONFIG_ENV.adminToken} must be at least 32 characters, got ${config.adminToken.length}; make one with: openssl rand -hex 24`,
    );
  }
  return config;
}

function inRange(key: IntegerKey, n: unknown): boolean {
  const [min, max] = INTEGER_RANGES[key];
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;
}

function rangeText(key: IntegerKey): string {
  const [min, max] = INTEGER_RANGES[key];
  return `must be an integer from ${min} to ${max}`;
}
