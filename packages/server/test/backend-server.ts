import type { FastifyInstance, InjectOptions } from 'fastify';
import { AdminTokenCheck } from '../src/admin/token.ts';
import { buildApp } from '../src/app.ts';
import type { ServerConfig } from '../src/config.ts';
import type { Store } from '../src/store/store.ts';
import type { Backend, OpenedBackend } from './backends.ts';
import { ADMIN_TOKEN } from './helpers.ts';

export interface Answer {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

/** One instance of the real app over a store; requests through inject (no port). */
export interface BackendInstance {
  app: FastifyInstance;
  store: Store;
  /** Admin API call with the admin token; `headers` add to or replace its headers. */
  admin(
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer>;
  ingest(appId: string, batch: unknown, headers?: Record<string, string>): Promise<Answer>;
}

export interface BackendServer extends BackendInstance {
  /** A second instance on the same database, as behind a load balancer. */
  another(): Promise<BackendInstance>;
  close(): Promise<void>;
}

const parse = (payload: string) => {
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
};

async function instanceOn(
  store: Store,
  config: Partial<ServerConfig>,
  now?: () => number,
): Promise<BackendInstance> {
  const app = await buildApp({
    store,
    adminToken: AdminTokenCheck.forToken(ADMIN_TOKEN),
    config: { rateLimitAppPerMinute: 0, rateLimitClientPerMinute: 0, ...config },
    dashboardDir: null,
    ...(now && { now }),
  });
  return {
    app,
    store,
    async admin(method, url, body, headers = {}) {
      const res = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers },
        ...(body !== undefined && { payload: body as object }),
      });
      return { status: res.statusCode, body: parse(res.payload), headers: res.headers };
    },
    async ingest(appId, batch, headers = {}) {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/apps/${appId}/batch`,
        headers: { 'content-type': 'application/json', ...headers },
        payload: typeof batch === 'string' ? batch : JSON.stringify(batch),
      });
      return { status: res.statusCode, body: parse(res.payload), headers: res.headers };
    },
  };
}

/**
 * The real app on a backend's real database (a SQLite file, or a fresh PostgreSQL database),
 * for HTTP-level tests that run on every backend.
 */
export async function startOn(
  backend: Backend,
  options: { config?: Partial<ServerConfig>; now?: () => number } = {},
): Promise<BackendServer> {
  const opened: OpenedBackend = await backend.open();
  await opened.store.migrate();
  const instances: BackendInstance[] = [];
  const first = await instanceOn(opened.store, options.config ?? {}, options.now);
  instances.push(first);
  return {
    ...first,
    async another() {
      const store = opened.openAnother();
      await store.migrate();
      const instance = await instanceOn(store, options.config ?? {}, options.now);
      instances.push(instance);
      return instance;
    },
    async close() {
      for (const instance of instances) await instance.app.close();
      await opened.cleanup();
    },
  };
}
