import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServerProcess } from '@signet/test-services';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './cli-helpers.ts';

/*
 * `signet backup` (docs/backup.md) as real processes: a copy taken from the SQLite file while a
 * real `signet serve` keeps taking batches on it, then served by another `signet serve` started
 * on the copy, which answers the same events.
 */

const ADMIN_TOKEN = 'backup-test-admin-token-0123456789abcdef';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(file: string) {
  const server = await startServerProcess({
    SIGNET_DATABASE_URL: `sqlite:${file}`,
    SIGNET_ADMIN_TOKEN: ADMIN_TOKEN,
  });
  cleanups.push(() => server.stop());
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/admin/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return (await res.json()) as any;
  };
  const send = async (appId: string, names: string[]) => {
    const now = new Date().toISOString();
    const res = await fetch(`${server.url}/v1/apps/${appId}/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        batchId: randomUUID(),
        sentAt: now,
        sdk: { name: 'backup-test', version: '1.0.0' },
        user: { id: 'user-1' },
        events: names.map((name) => ({ id: randomUUID(), type: 'track', name, timestamp: now })),
      }),
    });
    expect(res.status).toBe(200);
  };
  return { server, admin, send };
}

describe('signet backup', () => {
  it('copies the database while the server writes to it; a server on the copy answers its events', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const live = join(dir.dir, 'signet.db');
    const copy = join(dir.dir, 'backups', 'signet-copy.db');
    const original = await serve(live);
    const appId = (await original.admin('POST', '/apps', { name: 'Backed up' })).id as string;
    for (let i = 0; i < 10; i++)
      await original.send(
        appId,
        Array.from({ length: 20 }, (_, j) => `e${i}-${j}`),
      );

    // Batches keep arriving while the copy is taken.
    let writing = true;
    let during = 0;
    const writer = (async () => {
      while (writing) {
        await original.send(appId, ['During the backup']);
        during += 1;
      }
    })();
    mkdirSync(join(dir.dir, 'backups'));
    const backup = await runCli(['backup', '--out', copy, '--database-url', `sqlite:${live}`]);
    writing = false;
    await writer;
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(
      /^Backed up .*signet\.db to .*signet-copy\.db: [\d.]+ MB, 1 apps, [\d,]+ events, in [\d.]+ s\n$/,
    );
    expect(during).toBeGreaterThan(0);
    // No temporary file is left beside the copy.
    expect(readdirSync(join(dir.dir, 'backups'))).toEqual(['signet-copy.db']);
    const copied = Number(/([\d,]+) events/.exec(backup.stdout)?.[1]?.replace(/,/g, ''));
    expect(copied).toBeGreaterThanOrEqual(200);
    expect(copied).toBeLessThanOrEqual(200 + during);

    // The original stops; a new server serves the copy.
    await original.server.stop();
    const restored = await serve(copy);
    expect((await restored.admin('GET', '/apps')).apps.map((a: { id: string }) => a.id)).toEqual([appId]);
    const events: { name: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: { events: { name: string }[]; nextCursor: string | null } = await restored.admin(
        'GET',
        `/apps/${appId}/events?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      );
      events.push(...page.events);
      cursor = page.nextCursor;
    } while (cursor);
    expect(events).toHaveLength(copied);
    expect(events.filter((e) => e.name.startsWith('e')).length).toBe(200);
    // And it takes new batches.
    await restored.send(appId, ['After the restore']);
    expect(
      (await restored.admin('GET', `/apps/${appId}/events?name=After%20the%20restore`)).events,
    ).toHaveLength(1);
  }, 60_000);

  it('refuses PostgreSQL, in-memory and missing databases and an existing --out, in one line', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const existing = join(dir.dir, 'there.db');
    writeFileSync(existing, 'x');
    const cases: [string[], RegExp][] = [
      [['--database-url', 'postgres://127.0.0.1:5432/signet'], /use pg_dump/],
      [['--database-url', 'sqlite::memory:'], /in-memory/],
      [['--database-url', `sqlite:${join(dir.dir, 'missing.db')}`], /does not exist/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['backup', '--out', join(dir.dir, 'out.db'), ...args]);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    const live = join(dir.dir, 'signet.db');
    const server = await serve(live);
    await server.admin('POST', '/apps', { name: 'x' });
    const refused = await runCli(['backup', '--out', existing, '--database-url', `sqlite:${live}`]);
    expect(refused.stderr).toMatch(/exists; pass --force/);
    const forced = await runCli([
      'backup',
      '--out',
      existing,
      '--database-url',
      `sqlite:${live}`,
      '--force',
      '--json',
    ]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ out: existing, apps: 1, events: 0 });
    expect(existsSync(join(dir.dir, 'out.db'))).toBe(false);
  }, 60_000);
});
