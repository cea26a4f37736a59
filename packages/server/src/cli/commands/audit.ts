import { type AuditEntry, LIMITS } from '@signet/protocol';
import type { Command } from 'commander';
import { adminCall, adminTarget } from '../admin-client.ts';
import { example, integerIn, withAdminOptions } from '../options.ts';
import { print, printJson, printTable } from '../output.ts';

interface AuditFlags {
  server?: string;
  adminToken?: string;
  json?: boolean;
  app?: string;
  limit: number;
  cursor?: string;
}

export function auditCommands(program: Command): void {
  const audit = program.command('audit').description('Read the admin audit log of a running server');
  const list = withAdminOptions(
    audit
      .command('list')
      .description('Admin changes and logins, newest first: when, what, which app, who, from where')
      .option('--app <appId>', "only this app's entries (also of a deleted app)")
      .option(
        '--limit <n>',
        `entries to show, 1-${LIMITS.maxAuditPageSize}`,
        integerIn(1, LIMITS.maxAuditPageSize),
        50,
      )
      .option('--cursor <cursor>', 'continue after the last page (its nextCursor)'),
  );
  example(list, 'npx signet audit list --app "$APP" --limit 20');
  list.action(async (flags: AuditFlags) => {
    const query = new URLSearchParams({ limit: String(flags.limit) });
    if (flags.app) query.set('appId', flags.app);
    if (flags.cursor) query.set('cursor', flags.cursor);
    const answer = (await adminCall(adminTarget(flags, process.env), 'GET', `/admin/v1/audit?${query}`)) as {
      entries: AuditEntry[];
      nextCursor: string | null;
    };
    if (flags.json) return printJson(answer);
    if (answer.entries.length === 0) return print('No audit entries');
    printTable(
      ['AT', 'ACTION', 'APP', 'ACTOR', 'CLIENT IP', 'CHANGE'],
      answer.entries.map((e) => [e.at, e.action, e.appId, e.actor, e.clientIp, describe(e)]),
    );
    if (answer.nextCursor) process.stderr.write(`More: --cursor ${answer.nextCursor}\n`);
  });
}

/** The entry's change in one short line: `field: before → after`, or its details. */
function describe(entry: AuditEntry): string {
  if (entry.before || entry.after) {
    const keys = new Set([...Object.keys(entry.before ?? {}), ...Object.keys(entry.after ?? {})]);
    const changed = [...keys].filter(
      (k) => JSON.stringify(entry.before?.[k] ?? null) !== JSON.stringify(entry.after?.[k] ?? null),
    );
    return changed
      .map(
        (k) =>
          `${k}: ${JSON.stringify(entry.before?.[k] ?? null)} → ${JSON.stringify(entry.after?.[k] ?? null)}`,
      )
      .join(', ');
  }
  if (!entry.details) return '';
  return Object.entries(entry.details)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}
