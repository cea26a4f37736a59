import type { StoredEvent } from '@signet/protocol';
import { type Command, Option } from 'commander';
import { adminCall, adminTarget } from '../admin-client.ts';
import { adminStream } from '../admin-stream.ts';
import { example, integerIn, withAdminOptions } from '../options.ts';
import { print, printJson, printTable } from '../output.ts';

interface FilterFlags {
  server?: string;
  adminToken?: string;
  app: string;
  user?: string;
  name?: string;
  from?: string;
  to?: string;
  verified?: 'true' | 'false';
}

/** The filters both commands take, as SPEC §5 names them. */
function withFilters(command: Command): Command {
  return command
    .requiredOption('--app <appId>', 'the app id')
    .option('--user <userId>', 'only this user’s events')
    .option('--name <name>', 'only events of this name')
    .option('--from <iso>', 'received at or after, ISO-8601 (e.g. 2026-11-28 or 2026-11-28T09:00:00Z)')
    .option('--to <iso>', 'received before, ISO-8601')
    .addOption(
      new Option('--verified <bool>', 'only verified (true) or unverified (false)').choices([
        'true',
        'false',
      ]),
    );
}

function filterQuery(flags: FilterFlags): URLSearchParams {
  const query = new URLSearchParams();
  if (flags.user !== undefined) query.set('userId', flags.user);
  if (flags.name !== undefined) query.set('name', flags.name);
  if (flags.from !== undefined) query.set('from', flags.from);
  if (flags.to !== undefined) query.set('to', flags.to);
  if (flags.verified !== undefined) query.set('verified', flags.verified);
  return query;
}

const eventsPath = (appId: string, suffix = '') =>
  `/admin/v1/apps/${encodeURIComponent(appId)}/events${suffix}`;

export function eventCommands(program: Command): void {
  const events = program.command('events').description("Read and export an app's stored events (admin API)");

  const list = withAdminOptions(
    withFilters(events.command('list').description('One page of events, newest first'))
      .option('--limit <n>', 'events per page, 1-1000 (default 100)', integerIn(1, 1000))
      .option('--cursor <cursor>', 'continue after the page that printed this cursor'),
  );
  example(list, 'npx signet events list --app "$APP" --user user-42 --from 2026-11-28');
  list.action(async (flags: FilterFlags & { limit?: number; cursor?: string; json?: boolean }) => {
    const query = filterQuery(flags);
    if (flags.limit !== undefined) query.set('limit', String(flags.limit));
    if (flags.cursor !== undefined) query.set('cursor', flags.cursor);
    const page = (await adminCall(
      adminTarget(flags, process.env),
      'GET',
      `${eventsPath(flags.app)}?${query}`,
    )) as {
      events: StoredEvent[];
      nextCursor: string | null;
    };
    if (flags.json) return printJson(page);
    if (page.events.length === 0) return print('No events match.');
    printTable(
      ['RECEIVED', 'NAME', 'USER', 'VERIFIED', 'TYPE', 'ID'],
      page.events.map((e) => [
        e.receivedAt,
        e.name,
        e.userId ?? (e.anonymousId ? `anon ${e.anonymousId.slice(0, 8)}` : null),
        e.verified === null ? null : e.verified ? 'yes' : 'no',
        e.type,
        e.id,
      ]),
    );
    // The hint on stderr: stdout stays the table alone.
    if (page.nextCursor) process.stderr.write(`More: add --cursor ${page.nextCursor}\n`);
  });

  const exporter = withAdminOptions(
    withFilters(
      events.command('export').description('Every matching event as NDJSON on stdout, oldest first'),
    ),
  );
  example(exporter, 'npx signet events export --app "$APP" --from 2026-11-01 > events.ndjson');
  exporter.action(async (flags: FilterFlags) => {
    const query = filterQuery(flags);
    const path = `${eventsPath(flags.app, '/export')}${query.size > 0 ? `?${query}` : ''}`;
    const progress = progressLine(process.stderr);
    await adminStream(adminTarget(flags, process.env), path, process.stdout, progress.add);
    progress.done();
  });
}

/**
 * "Exported N events (X MB)" on stderr: rewritten in place on a terminal a few times a second,
 * a line every 100,000 events otherwise (a log keeps a trace without a flood), and a last line.
 */
function progressLine(err: NodeJS.WriteStream) {
  let events = 0;
  let bytes = 0;
  let shownAt = 0;
  let nextLogged = 100_000;
  const text = () =>
    `Exported ${events.toLocaleString('en-US')} events (${(bytes / 1_048_576).toFixed(1)} MB)`;
  return {
    add(chunk: Uint8Array) {
      bytes += chunk.length;
      for (const byte of chunk) if (byte === 10) events += 1;
      if (err.isTTY) {
        const now = Date.now();
        if (now - shownAt >= 200) {
          shownAt = now;
          err.write(`\r${text()}`);
        }
      } else if (events >= nextLogged) {
        nextLogged += 100_000;
        err.write(`${text()}\n`);
      }
    },
    done() {
      err.write(`${err.isTTY ? '\r' : ''}${text()}\n`);
    },
  };
}
