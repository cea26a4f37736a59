import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdminTokenCheck, buildApp, openStore } from '../src/index.ts';

export const ADMIN_TOKEN = 'issuer-test-admin-token-0123456789';
/**
 * The `signet` CLI's entry point, run from its TypeScript source through tsx (a test tool);
 * `npm run pack:check` runs the compiled bin from the published tarball.
 */
export const BIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
export const NODE_ARGS = ['--conditions=@signet/source', '--import', 'tsx'];

/** A fresh directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'signet-cli-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RealServer {
  url: string;
  /** An admin API call with the admin token, over the socket. */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Posts a one-event batch for `userId` as the SDK does, with the token as Bearer. */
  ingest(appId: string, userId: string, token: string): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** The real collection server on a real SQLite file, listening on 127.0.0.1 port 0. */
export async function startRealServer(): Promise<RealServer> {
  const { dir, cleanup } = tempDir();
  const store = openStore(`sqlite:${join(dir, 'signet.db')}`, { sqliteBusyTimeoutMs: 1000 });
  await store.migrate();
  const app = await buildApp({
    store,
    adminToken: AdminTokenCheck.forToken(ADMIN_TOKEN),
    config: { rateLimitAppPerMinute: 0, rateLimitClientPerMinute: 0 },
    dashboardDir: null,
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const call = async (method: string, path: string, body: unknown, headers: Record<string, string>) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? null : JSON.parse(text) };
  };
  return {
    url,
    admin: (method, path, body) => call(method, path, body, { authorization: `Bearer ${ADMIN_TOKEN}` }),
    ingest: (appId, userId, token) =>
      call(
        'POST',
        `/v1/apps/${appId}/batch`,
        {
          batchId: randomUUID(),
          sentAt: new Date().toISOString(),
          sdk: { name: 'issuer-test', version: '1.0.0' },
          user: { id: userId },
          events: [{ id: randomUUID(), type: 'track', name: 'Test', timestamp: new Date().toISOString() }],
        },
        { authorization: `Bearer ${token}` },
      ),
    async close() {
      await app.close();
      await store.close();
      cleanup();
    },
  };
}

/** Creates an app in `required` mode with `publicKeyPem` registered; returns its id and kid. */
export async function requiredApp(server: RealServer, publicKeyPem: string, kid?: string) {
  const created = await server.admin('POST', '/admin/v1/apps', { name: 'Issuer test' });
  const appId = created.body.id as string;
  const added = await server.admin('POST', `/admin/v1/apps/${appId}/keys`, {
    pem: publicKeyPem,
    ...(kid && { kid }),
  });
  if (added.status !== 201) throw new Error(`key not added: ${JSON.stringify(added.body)}`);
  const set = await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, { mode: 'required' });
  if (set.status !== 200) throw new Error(`mode not set: ${JSON.stringify(set.body)}`);
  return { appId, kid: added.body.kid as string };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `signet` bin in a child process. SIGNET_URL and SIGNET_ADMIN_TOKEN are taken
 * from `env` only, never inherited, so a developer's shell cannot change a test.
 */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; input?: string } = {},
) {
  const env = { ...process.env, ...options.env };
  if (!options.env?.SIGNET_URL) delete env.SIGNET_URL;
  if (!options.env?.SIGNET_ADMIN_TOKEN) delete env.SIGNET_ADMIN_TOKEN;
  return new Promise<CliRun>((resolve) => {
    const child = execFile(
      process.execPath,
      [...NODE_ARGS, BIN, ...args],
      { env, cwd: options.cwd, timeout: 15_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
