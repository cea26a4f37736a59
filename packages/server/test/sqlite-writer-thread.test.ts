import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteConnection } from '../src/store/sqlite/sqlite-connection.ts';
import { SqliteWriterClient } from '../src/store/sqlite/sqlite-writer-client.ts';
import { StorageUnavailableError } from '../src/store/storage-unavailable.ts';
import { appWithKey, batchFor, keyPair, startServer, type TestServer, tempDir } from './helpers.ts';

/*
 * The SQLite store writes batches on a worker thread with its own connection (SPEC: a 200 means
 * stored). What that must not change: durability settings, atomicity, and admin writes on the
 * main connection while the writer thread commits.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('SQLite durability setting', () => {
  it('is synchronous=FULL by default (a 200 survives power loss) and NORMAL only when asked', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    // PRAGMA synchronous: 1 = NORMAL, 2 = FULL.
    const byDefault = openSqliteConnection({ filename: join(dir, 'a.db') });
    const normal = openSqliteConnection({ filename: join(dir, 'b.db'), synchronous: 'normal' });
    expect(byDefault.pragma('synchronous', { simple: true })).toBe(2);
    expect(byDefault.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(normal.pragma('synchronous', { simple: true })).toBe(1);
    byDefault.close();
    normal.close();
  });
});

describe('SQLite writer thread', () => {
  let server: TestServer;

  it('admin changes on the main connection while batches are committed on the writer thread: none is refused', async () => {
    server = await startServer({}, { busyTimeoutMs: 5_000 });
    cleanups.push(() => server.close());
    const key = await keyPair();
    const { appId } = await appWithKey(server, key, 'disabled');
    const other = await keyPair('EdDSA');
    const batches = Array.from({ length: 300 }, () => batchFor({ anonymousId: randomUUID() }, 5));
    const ingesting = Promise.all(batches.map((b) => server.ingest(appId, b)));
    // Each of these reads, then writes, in one transaction: with a deferred BEGIN, a commit by the
    // writer thread in between made the write fail at once (SQLITE_BUSY_SNAPSHOT → 503).
    const adminStatuses: number[] = [];
    for (let i = 0; i < 15; i++) {
      const added = await server.admin('POST', `/admin/v1/apps/${appId}/keys`, { pem: other.publicPem });
      adminStatuses.push(added.status);
      const mode = await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, {
        mode: i % 2 ? 'optional' : 'disabled',
      });
      adminStatuses.push(mode.status);
      const removed = await server.admin('DELETE', `/admin/v1/apps/${appId}/keys/${added.body.kid}`);
      adminStatuses.push(removed.status);
    }
    const answers = await ingesting;
    expect(adminStatuses.filter((s) => s >= 300)).toEqual([]);
    expect(answers.map((a) => a.status).filter((s) => s !== 200)).toEqual([]);
    const accepted = answers.reduce((sum, a) => sum + (a.body.accepted as number), 0);
    expect(accepted).toBe(1500);
  });
});

describe('SQLite writer thread lost', () => {
  it('fails the writes waiting on a thread that died with 503 (StorageUnavailableError), and the next write starts a new thread', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    // A directory is no database: the thread dies opening it, as it would on a broken disk.
    const writer = new SqliteWriterClient({ filename: dir });
    const rejection = {
      appId: 'app_1',
      at: Date.now(),
      events: 1,
      outcome: { outcome: 'rejected' as const, code: 'TOKEN_NOT_AVAILABLE', reason: 'missing' },
      failure: {
        mode: 'required',
        code: 'TOKEN_NOT_AVAILABLE',
        reason: 'missing',
        kid: null,
        subject: null,
        userId: 'u1',
        sdkName: null,
        sdkVersion: null,
      },
    };
    const first = writer.write({ rejection });
    await expect(first).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(first).rejects.toThrow(/the SQLite writer thread stopped/);
    await expect(writer.write({ rejection })).rejects.toBeInstanceOf(StorageUnavailableError);
    await writer.close();
  });
});

describe('a batch answered 200', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
  });

  it('is in the file when the server process is killed right after answering', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const file = join(dir, 'killed.db');
    const port = await freePort();
    const admin = 'kill-test-admin-token-0123456789abcdef';
    child = spawn(
      process.execPath,
      ['--conditions=@signet/source', '--import', 'tsx', 'packages/server/src/main.ts'],
      {
        env: {
          ...process.env,
          PORT: String(port),
          SIGNET_DATABASE_URL: `sqlite:${file}`,
          SIGNET_ADMIN_TOKEN: admin,
          SIGNET_LOG_LEVEL: 'warn',
          SIGNET_RATE_LIMIT_APP_PER_MINUTE: '0',
          SIGNET_RATE_LIMIT_CLIENT_PER_MINUTE: '0',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      child?.stdout?.on('data', (d: Buffer) => (/running at/.test(String(d)) ? resolve() : undefined));
      child?.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const created = await fetch(`${base}/admin/v1/apps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'killed' }),
    });
    const appId = ((await created.json()) as { id: string }).id;
    const answers = await Promise.all(
      Array.from({ length: 200 }, () =>
        fetch(`${base}/v1/apps/${appId}/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(batchFor({ anonymousId: randomUUID() }, 10)),
        }).then(async (res) => ({ status: res.status, body: (await res.json()) as { accepted: number } })),
      ),
    );
    // No shutdown, no flush: the process is gone the moment the last answer is read.
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const answered = answers.reduce((sum, a) => sum + a.body.accepted, 0);
    const db = new Database(file, { readonly: true });
    const stored = db.prepare('SELECT count(*) FROM events WHERE app_id = ?').pluck().get(appId);
    db.close();
    expect(answered).toBe(2000);
    expect(stored).toBe(answered);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
