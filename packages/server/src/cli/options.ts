import { type Command, InvalidArgumentError } from 'commander';

/** Commander parser for a whole number in [min, max]. */
export function integerIn(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

/** `--server`, `--admin-token` and `--json`, shared by every admin API command. */
export function withAdminOptions(command: Command): Command {
  return command
    .option('--server <url>', 'the Signet server (env SIGNET_URL, default http://127.0.0.1:4000)')
    .option('--admin-token <token>', 'the admin token (env SIGNET_ADMIN_TOKEN; prefer the env var)')
    .option('--json', "print the API's answer as JSON");
}

/** The "Example:" block every command's --help ends with. */
export function example(command: Command, ...lines: string[]): Command {
  return command.addHelpText('after', `\nExample:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`);
}
