import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type CliRun, type RealServer, runCli, startRealServer } from './cli-helpers.ts';

/*
 * `signet apps rename|retention|delete`, `signet users delete` and `signet audit list` (SPEC §7)
 * as real processes against the real server on a real port.
 */

let server: RealServer;
let env: Record<string, string>;
beforeAll(async () => {
  server = await startRealServer();
  env = { SIGNET_URL: server.url, SIGNET_ADMIN_TOKEN: ADMIN_TOKEN };
});
afterAll(() => server.close());

const signet = (...args: string[]) => runCli(args, { env });

function expectOneLineError(run: CliRun, message: RegExp): void {
  expect({ code: run.code === 0 ? 0 : 'non-zero', stdout: run.stdout }).toEqual({
    code: 'non-zero',
    stdout: '',
  });
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(message);
}

async function newApp(name = 'Shop'): Promise<string> {
  return (await server.admin('POST', '/admin/v1/apps', { name })).body.id;
}

describe('apps rename and retention', () => {
  it('renames an app and sets or clears its retention', async () => {
    const appId = await newApp();
    const renamed = await signet('apps', 'rename', '--app', appId, '--name', 'Shop EU');
    expect(renamed).toMatchObject({ code: 0, stdout: `App ${appId} is now named "Shop EU"\n` });
    expect((await server.admin('GET', `/admin/v1/apps/${appId}`)).body.name).toBe('Shop EU');

    const kept = await signet('apps', 'retention', '--app', appId, '--days', '90', '--json');
    expect(kept.code).toBe(0);
    expect(JSON.parse(kept.stdout)).toMatchObject({ id: appId, name: 'Shop EU', retentionDays: 90 });
    const list = await signet('apps', 'list');
    expect(list.stdout).toMatch(new RegExp(`${appId}\\s+Shop EU\\s+disabled\\s+90 days`));
    const forever = await signet('apps', 'retention', '--app', appId, '--forever');
    expect(forever.stdout).toBe(`App ${appId} keeps events forever\n`);
    expect((await server.admin('GET', `/admin/v1/apps/${appId}`)).body.retentionDays).toBeNull();
  });

  it('refuses bad input in one line, changing nothing', async () => {
    const appId = await newApp('Kept');
    expectOneLineError(await signet('apps', 'retention', '--app', appId, '--days', '0'), /1 to 3650/);
    expectOneLineError(await signet('apps', 'retention', '--app', appId, '--days', '4000'), /1 to 3650/);
    expectOneLineError(await signet('apps', 'retention', '--app', appId), /--days <1-3650> or --forever/);
    expectOneLineError(
      await signet('apps', 'rename', '--app', 'app_nope', '--name', 'x'),
      /404 APP_NOT_FOUND/,
    );
    expect((await server.admin('GET', `/admin/v1/apps/${appId}`)).body).toMatchObject({
      name: 'Kept',
      retentionDays: null,
    });
  });
});

describe('apps delete', () => {
  it('needs --confirm with the app id, then deletes the app and its data', async () => {
    const appId = await newApp('Doomed');
    expect((await server.ingest(appId, 'alice', 'unchecked')).status).toBe(200);
    for (const confirm of [[], ['--confirm', 'app_other']]) {
      expectOneLineError(
        await signet('apps', 'delete', '--app', appId, ...confirm),
        new RegExp(`repeat its id with --confirm ${appId}`),
      );
    }
    expect((await server.admin('GET', `/admin/v1/apps/${appId}`)).status).toBe(200);

    const deleted = await signet('apps', 'delete', '--app', appId, '--confirm', appId);
    expect(deleted).toMatchObject({ code: 0, stderr: '' });
    expect(deleted.stdout).toBe(`Deleted app ${appId} and all its data; its ingestion URL now answers 404\n`);
    expect((await server.admin('GET', `/admin/v1/apps/${appId}`)).status).toBe(404);
    expect((await server.ingest(appId, 'alice', 'unchecked')).status).toBe(404);
    expectOneLineError(
      await signet('apps', 'delete', '--app', appId, '--confirm', appId),
      /404 APP_NOT_FOUND/,
    );
  });
});

describe('users delete', () => {
  it("erases a user's data and prints the counts; an unknown user is one line", async () => {
    const appId = await newApp('Erasure');
    for (let i = 0; i < 3; i++) expect((await server.ingest(appId, 'alice', 'unchecked')).status).toBe(200);
    expect((await server.ingest(appId, 'bob', 'unchecked')).status).toBe(200);

    const erased = await signet('users', 'delete', '--app', appId, '--user', 'alice');
    expect(erased).toMatchObject({ code: 0, stderr: '' });
    expect(erased.stdout).toBe(
      `Erased user alice from app ${appId}: 3 events, 0 aliases, 0 auth failures, profile deleted\n`,
    );
    expect((await server.admin('GET', `/admin/v1/apps/${appId}/users/alice`)).status).toBe(404);
    const bob = await signet('users', 'delete', '--app', appId, '--user', 'bob', '--json');
    expect(JSON.parse(bob.stdout)).toEqual({ events: 1, aliases: 0, failures: 0, profile: 1 });
    expectOneLineError(
      await signet('users', 'delete', '--app', appId, '--user', 'alice'),
      /404 NOT_FOUND: No data has been stored for this user/,
    );
  });
});

describe('audit list', () => {
  it('prints the newest entries as a table or JSON, per app, page by page', async () => {
    const appId = await newApp('Audited');
    await signet('apps', 'rename', '--app', appId, '--name', 'Audited 2');
    await signet('apps', 'retention', '--app', appId, '--days', '30');

    const table = await signet('audit', 'list', '--app', appId);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^AT\s+ACTION\s+APP\s+ACTOR\s+CLIENT IP\s+CHANGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[1])).toEqual([
      'app.retention_changed',
      'app.renamed',
      'app.created',
    ]);
    expect(lines[1]).toContain('retentionDays: null → 30');
    expect(lines[2]).toContain('name: "Audited" → "Audited 2"');
    expect(lines[1]).toMatch(/token:[0-9a-f]{8}\s+127\.0\.0\.1/);
    expect(table.stdout).not.toContain(ADMIN_TOKEN);

    const first = await signet('audit', 'list', '--app', appId, '--limit', '1', '--json');
    const page = JSON.parse(first.stdout);
    expect(page.entries).toHaveLength(1);
    expect(page.entries[0]).toMatchObject({ action: 'app.retention_changed', appId });
    const next = await signet('audit', 'list', '--app', appId, '--limit', '2', '--cursor', page.nextCursor);
    expect(next.stdout).toContain('app.renamed');
    expect(next.stdout).toContain('app.created');
    const more = await signet('audit', 'list', '--limit', '1');
    expect(more.stderr).toMatch(/^More: --cursor \S+\n$/);

    expectOneLineError(await signet('audit', 'list', '--cursor', 'bogus'), /400 INVALID_REQUEST/);
    expectOneLineError(await signet('audit', 'list', '--limit', '0'), /1 to 1000/);
  });
});
