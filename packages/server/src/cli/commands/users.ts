import type { Command } from 'commander';
import { adminCall, adminTarget, LONG_TIMEOUT_MS } from '../admin-client.ts';
import { example, withAdminOptions } from '../options.ts';
import { print, printJson } from '../output.ts';

interface EraseFlags {
  server?: string;
  adminToken?: string;
  json?: boolean;
  app: string;
  user: string;
}

interface ErasureCounts {
  events: number;
  aliases: number;
  failures: number;
  profile: number;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function userCommands(program: Command): void {
  const users = program.command('users').description("Manage an app's users on a running server (admin API)");
  const erase = withAdminOptions(
    users
      .command('delete')
      .description('Erase a user: their events, profile, aliases and kept auth failures (prints the counts)')
      .requiredOption('--app <appId>', 'the app id')
      .requiredOption('--user <userId>', 'the user id, as the app sends it'),
  );
  example(erase, 'npx signet users delete --app "$APP" --user user-42');
  erase.action(async (flags: EraseFlags) => {
    const path = `/admin/v1/apps/${encodeURIComponent(flags.app)}/users/${encodeURIComponent(flags.user)}`;
    const target = adminTarget(flags, process.env);
    const counts = (await adminCall(target, 'DELETE', path, undefined, LONG_TIMEOUT_MS)) as ErasureCounts;
    if (flags.json) return printJson(counts);
    print(
      `Erased user ${flags.user} from app ${flags.app}: ${plural(counts.events, 'event')}, ` +
        `${plural(counts.aliases, 'alias', 'aliases')}, ${plural(counts.failures, 'auth failure')}, ` +
        `profile ${counts.profile === 1 ? 'deleted' : 'none'}`,
    );
  });
}
