import { resolveAdminToken } from './admin-token.ts';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { openStore } from './store/open-store.ts';

/** `npm start` / `signet serve`: migrate, resolve the admin token, listen, print where to go. */
async function main(): Promise<void> {
  const config = loadConfig();
  const store = openStore(config.databaseUrl, {
    sqliteBusyTimeoutMs: config.sqliteBusyTimeoutMs,
    poolSize: config.databasePoolSize,
    onBackgroundError: (error) =>
      process.stderr.write(`signet: database connection error: ${error.message}\n`),
  });
  await store.migrate();
  const admin = await resolveAdminToken(store, config.adminToken);
  const app = await buildApp({
    store,
    adminToken: admin.check,
    config,
    logger: { level: config.logLevel, redact: ['req.headers.authorization'] },
  });
  const address = await app.listen({ port: config.port, host: config.host });
  const url = address.replace('://127.0.0.1', '://localhost');
  process.stdout.write(`\nSignet is running at ${url}  (dashboard ${url}/, API docs ${url}/docs)\n`);
  process.stdout.write(`Database: ${config.databaseUrl}\n`);
  if (admin.generated) {
    process.stdout.write(
      `\nAdmin token (shown once; only its hash is stored):\n\n    ${admin.generated}\n\n` +
        `Keep it: export SIGNET_ADMIN_TOKEN=${admin.generated}\n\n`,
    );
  }
  const stop = async () => {
    await app.close();
    await store.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`signet: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
