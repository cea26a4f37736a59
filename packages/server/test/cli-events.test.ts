import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type RealServer, requiredApp, runCli, startRealServer } from './cli-helpers.ts';
import { keyPair, signToken } from './helpers.ts';

/* `signet events list|export` (SPEC §7) as real processes against a real server on a port. */

describe('signet events list / export', () => {
  let server: RealServer;
  let appId: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startRealServer();
    const key = await keyPair();
    ({ appId } = await requiredApp(server, key.publicPem));
    env = { SIGNET_URL: server.url, SIGNET_ADMIN_TOKEN: ADMIN_TOKEN };
    for (const [user, name] of [
      ['alice', 'Viewed'],
      ['bob', 'Viewed'],
      ['alice', 'Bought'],
    ] as const) {
      const res = await fetch(`${server.url}/v1/apps/${appId}/batch`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await signToken(key, { sub: user })}`,
        },
        body: JSON.stringify({
          batchId: randomUUID(),
          sentAt: new Date().toISOString(),
          sdk: { name: 'cli-test', version: '1.0.0' },
          user: { id: user },
          events: [{ id: randomUUID(), type: 'track', name, timestamp: new Date().toISOString() }],
        }),
      });
      expect(res.status).toBe(200);
      // Distinct receivedAt milliseconds, so "oldest first" has one answer.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });
  afterAll(() => server.close());

  it('lists a page as a table, follows --cursor, and filters', async () => {
    const first = await runCli(['events', 'list', '--app', appId, '--limit', '2'], { env });
    expect(first.code, first.stderr).toBe(0);
    const lines = first.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RECEIVED\s+NAME\s+USER\s+VERIFIED\s+TYPE\s+ID$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(1, 4))).toEqual([
      ['Bought', 'alice', 'yes'],
      ['Viewed', 'bob', 'yes'],
    ]);
    const cursor = /--cursor (\S+)/.exec(first.stderr)?.[1] as string;
    expect(cursor).toBeDefined();
    const next = await runCli(
      ['events', 'list', '--app', appId, '--limit', '2', '--cursor', cursor, '--json'],
      {
        env,
      },
    );
    const page = JSON.parse(next.stdout);
    expect(page.events.map((e: { name: string }) => e.name)).toEqual(['Viewed']);
    expect(page.nextCursor).toBeNull();

    const alice = await runCli(
      ['events', 'list', '--app', appId, '--user', 'alice', '--name', 'Viewed', '--json'],
      {
        env,
      },
    );
    expect(JSON.parse(alice.stdout).events.map((e: { userId: string }) => e.userId)).toEqual(['alice']);
    const unverified = await runCli(['events', 'list', '--app', appId, '--verified', 'false'], { env });
    expect(unverified.stdout).toBe('No events match.\n');
  });

  it('exports NDJSON oldest first on stdout, with the count on stderr', async () => {
    const all = await runCli(['events', 'export', '--app', appId], { env });
    expect(all.code, all.stderr).toBe(0);
    const events = all.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.map((e) => `${e.name}/${e.userId}`)).toEqual([
      'Viewed/alice',
      'Viewed/bob',
      'Bought/alice',
    ]);
    expect(all.stderr).toMatch(/^Exported 3 events \(0\.0 MB\)\n$/);
    const alice = await runCli(
      ['events', 'export', '--app', appId, '--user', 'alice', '--from', '2000-01-01'],
      {
        env,
      },
    );
    expect(alice.stdout.trimEnd().split('\n')).toHaveLength(2);
  });

  it('fails in one line with a non-zero exit on bad dates and unknown apps', async () => {
    for (const args of [
      ['events', 'export', '--app', appId, '--from', 'yesterday'],
      ['events', 'list', '--app', appId, '--to', '2026-02-30'],
      ['events', 'list', '--app', 'app_unknown'],
      ['events', 'export', '--app', 'app_unknown'],
      ['events', 'list', '--app', appId, '--cursor', 'bm90IGEgY3Vyc29y'],
      ['events', 'list', '--app', appId, '--verified', 'maybe'],
    ]) {
      const run = await runCli(args, { env });
      expect(run.code, args.join(' ')).not.toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr.trimEnd().split('\n'), run.stderr).toHaveLength(1);
      expect(run.stderr).toMatch(/^signet: |failed: (400 INVALID_REQUEST|404 APP_NOT_FOUND)/);
    }
  });
});
