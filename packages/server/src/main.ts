import { loadConfig } from './config.ts';
import { startServer } from './start.ts';

// The server alone, configured from the environment: what test and benchmark server processes run
// (from source). Users run `signet serve` (cli/commands/serve.ts), which calls the same startServer.
// loadConfig inside the chain: a bad setting ends as the one line below, not a stack trace.
Promise.resolve()
  .then(() => startServer(loadConfig()))
  .catch((error: unknown) => {
    process.stderr.write(`signet: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
