import { loadConfig } from './config.ts';
import { startServer } from './start.ts';

// `npm start -w @signet/server`; the root `npm start` runs `signet serve`, which calls the same startServer.
startServer(loadConfig()).catch((error: unknown) => {
  process.stderr.write(`signet: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
