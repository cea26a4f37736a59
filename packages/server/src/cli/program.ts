import { Command } from 'commander';
import { oneLine } from './cli-error.ts';
import { appCommands, jwtCommands } from './commands/apps.ts';
import { auditCommands } from './commands/audit.ts';
import { backupCommand } from './commands/backup.ts';
import { eventCommands } from './commands/events.ts';
import { keyCommands } from './commands/keys.ts';
import { serveCommand } from './commands/serve.ts';
import { tokenCommands } from './commands/token.ts';
import { userCommands } from './commands/users.ts';
import { example } from './options.ts';

/**
 * The `signet` command line (SPEC §7). Parse errors print as one `signet: …` line on stderr;
 * subcommands inherit that output setting, so it is configured before they are added.
 *
 * @example
 * await createProgram().parseAsync(['node', 'signet', 'token', 'inspect', token]);
 */
export function createProgram(): Command {
  const program = new Command('signet')
    .description('Signet: verified analytics ingestion. Server, keys, user tokens and the admin API.')
    .version('0.1.0')
    .showHelpAfterError(false)
    .configureOutput({
      outputError: (text, write) => write(`signet: ${oneLine(text.replace(/^error: /, ''))}\n`),
    });
  example(
    program,
    'npx signet serve',
    'npx signet keys generate --out keys',
    'npx signet token mint --key keys/private.pem --sub user-42',
  );
  serveCommand(program);
  keyCommands(program);
  tokenCommands(program);
  appCommands(program);
  jwtCommands(program);
  eventCommands(program);
  backupCommand(program);
  userCommands(program);
  auditCommands(program);
  return program;
}
