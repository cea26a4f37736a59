import type { Command } from 'commander';
import { CONFIG_ENV, DEFAULT_CONFIG, loadConfig, type ServerConfig } from '../../config.ts';
import { CliError } from '../cli-error.ts';
import { example } from '../options.ts';
import { print } from '../output.ts';

type ConfigKey = keyof ServerConfig;

const kebab = (key: string) => key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

/**
 * One flag per configuration variable (SPEC §2), generated from the server's own table so the
 * two can never drift: `--port` is PORT, `--database-url` is SIGNET_DATABASE_URL, and so on.
 */
function addConfigFlags(command: Command, keys: readonly ConfigKey[]): Command {
  for (const key of keys) {
    const fallback = DEFAULT_CONFIG[key];
    const shown = key === 'adminToken' ? 'generated on first start' : String(fallback ?? 'unset');
    command.option(`--${kebab(key)} <value>`, `env ${CONFIG_ENV[key]} (default ${shown})`);
  }
  return command;
}

/**
 * The server configuration: the environment, overridden by any flag given. Each flag is written
 * into the variable it stands for, so loadConfig checks flags and env by the very same rules.
 */
function configFrom(flags: Record<string, unknown>, keys: readonly ConfigKey[]): ServerConfig {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const given: ConfigKey[] = [];
  for (const key of keys) {
    const value = flags[camel(kebab(key))];
    if (typeof value === 'string') {
      env[CONFIG_ENV[key]] = value;
      given.push(key);
    }
  }
  try {
    return loadConfig(env);
  } catch (error) {
    let message = error instanceof Error ? error.message : String(error);
    for (const key of given)
      message = message.replace(CONFIG_ENV[key], `--${kebab(key)} (${CONFIG_ENV[key]})`);
    throw new CliError(message);
  }
}

const ALL_KEYS = Object.keys(CONFIG_ENV) as ConfigKey[];
const DATABASE_KEYS: ConfigKey[] = [
  'databaseUrl',
  'databasePoolSize',
  'sqliteBusyTimeoutMs',
  'sqliteSynchronous',
];

export function serveCommand(program: Command): void {
  const serve = program
    .command('serve')
    .description('Run the collection server, admin API and dashboard (migrations run first)');
  addConfigFlags(serve, ALL_KEYS);
  example(
    serve,
    'npx signet serve --port 4000 --database-url sqlite:./signet.db',
    'SIGNET_ADMIN_TOKEN=$(openssl rand -hex 24) npx signet serve --host 0.0.0.0',
  );
  serve.action(async (flags: Record<string, unknown>) => {
    const config = configFrom(flags, ALL_KEYS);
    const { startServer } = await import('../../start.ts');
    await startServer(config);
  });

  const migrate = program.command('migrate').description('Run the database migrations, then exit');
  addConfigFlags(migrate, DATABASE_KEYS);
  example(migrate, 'npx signet migrate --database-url sqlite:./signet.db');
  migrate.action(async (flags: Record<string, unknown>) => {
    const config = configFrom(flags, DATABASE_KEYS);
    const { openStore } = await import('../../store/open-store.ts');
    const store = openStore(config.databaseUrl, {
      sqliteBusyTimeoutMs: config.sqliteBusyTimeoutMs,
      sqliteSynchronous: config.sqliteSynchronous,
      poolSize: config.databasePoolSize,
    });
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
    print(`Migrations are up to date on ${redacted(config.databaseUrl)}`);
  });
}

/** A database URL without its password, for printing. */
function redacted(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]+):[^@]*@/, '$1:***@');
}
