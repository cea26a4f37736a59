import { resolveAdminToken } from './admin/token.ts';
import { buildApp } from './app.ts';
import type { ServerConfig } from './config.ts';
import { RetentionDeleter } from './retention.ts';
import { openStore } from './store/open-store.ts';

export interface StartOptions {
  /** Where the URL and a newly generated admin token are printed; process.stdout by default. */
  out?: NodeJS.WritableStream;
  /** Close cleanly and exit on SIGINT / SIGTERM (default true; tests turn it off). */
  handleSignals?: boolean;
}

export interface RunningServer {
  /** The address it listens on, e.g. `http://localhost:4000`. */
  url: string;
  close(): Promise<void>;
}

/**
 * What `npm start` and `signet serve` both do: open the store, run migrations, resolve the admin
 * token (SPEC §2), listen, and print where to go and, once, a generated admin token.
 *
 * @example
 * const server = await startServer(loadConfig());
 * console.log(server.url); // http://localhost:4000
 */
export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const out = options.out ?? process.stdout;
  const store = openStore(config.databaseUrl, {
    sqliteBusyTimeoutMs: config.sqliteBusyTimeoutMs,
    sqliteSynchronous: config.sqliteSynchronous,
    sqliteWriterThread: config.sqliteWriterThread,
    poolSize: config.databasePoolSize,
    onBackgroundError: (error) =>
      process.stderr.write(`signet: database connection error: ${error.message}\n`),
  });
  try {
    await store.migrate();
    const admin = await resolveAdminToken(store, config.adminToken);
    const app = await buildApp({
      store,
      adminToken: admin.check,
      config,
      logger: { level: config.logLevel, redact: ['req.headers.authorization'] },
    });
    const address = await app.listen({ port: config.port, host: config.host }).catch(async (error) => {
      await app.close();
      throw error;
    });
    const url = address.replace('://127.0.0.1', '://localhost');
    out.write(`\nSignet is running at ${url}  (dashboard ${url}/, API docs ${url}/docs)\n`);
    out.write(`Database: ${config.databaseUrl}\n`);
    if (admin.generated) {
      out.write(
        `\nAdmin token (shown once; only its hash is stored):\n\n    ${admin.generated}\n\n` +
          `Keep it: export SIGNET_ADMIN_TOKEN=${admin.generated}\n\n`,
      );
    }
    // Deletes events older than each app's retentionDays: at start, then every interval.
    const retention = new RetentionDeleter({
      store,
      onError: (error) => process.stderr.write(`signet: retention pass failed: ${error.message}\n`),
    });
    retention.start(config.retentionIntervalMs);
    const close = async () => {
      await retention.stop();
      await app.close();
      await store.close();
    };
    if (options.handleSignals ?? true) {
      const stop = () => close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
    return { url, close };
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
}
