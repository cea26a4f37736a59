import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from '../cli-error.ts';
import { example } from '../options.ts';
import { print, printJson } from '../output.ts';

interface BackupFlags {
  out: string;
  databaseUrl?: string;
  force?: boolean;
  json?: boolean;
}

/**
 * `signet backup --out FILE` (docs/backup.md): a consistent copy of the SQLite database, taken
 * from the file itself while `signet serve` keeps running on it (docs/decisions.md says why
 * the CLI opens the file rather than asking the server). PostgreSQL has pg_dump for this.
 */
export function backupCommand(program: Command): void {
  const backup = program
    .command('backup')
    .description('Copy the SQLite database to one file while the server runs (PostgreSQL: use pg_dump)')
    .requiredOption('--out <file>', 'the backup file to write')
    .option('--database-url <url>', 'env SIGNET_DATABASE_URL (default sqlite:./signet.db)')
    .option('--force', 'replace --out if it exists')
    .option('--json', 'print the result as JSON');
  example(backup, 'npx signet backup --out backups/signet-$(date +%F).db');
  backup.action(async (flags: BackupFlags) => {
    const url = flags.databaseUrl ?? (process.env.SIGNET_DATABASE_URL || 'sqlite:./signet.db');
    if (/^postgres(ql)?:\/\//.test(url)) {
      throw new CliError(
        'signet backup copies SQLite databases; for PostgreSQL use pg_dump (pg_dump -Fc -f signet.dump "$SIGNET_DATABASE_URL", see docs/backup.md)',
      );
    }
    const filename = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url;
    if (filename === '' || filename === ':memory:') {
      throw new CliError(`--database-url ${url}: an in-memory database lives only inside its server process`);
    }
    if (!existsSync(filename)) throw new CliError(`--database-url ${url}: ${filename} does not exist`);
    if (existsSync(flags.out)) {
      if (statSync(flags.out).isDirectory())
        throw new CliError(`--out ${flags.out}: is a directory; name a file`);
      if (!flags.force) throw new CliError(`--out ${flags.out} exists; pass --force to replace it`);
    }
    const started = performance.now();
    const { backupSqlite } = await import('../../store/sqlite/sqlite-backup.ts');
    let result: Awaited<ReturnType<typeof backupSqlite>>;
    try {
      result = backupSqlite(filename, flags.out);
    } catch (error) {
      throw new CliError(
        `backup of ${filename} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const seconds = (performance.now() - started) / 1000;
    if (flags.json) return printJson({ out: flags.out, ...result, seconds });
    print(
      `Backed up ${filename} to ${flags.out}: ${(result.bytes / 1_048_576).toFixed(1)} MB, ` +
        `${result.apps} apps, ${result.events.toLocaleString('en-US')} events, in ${seconds.toFixed(1)} s`,
    );
  });
}
