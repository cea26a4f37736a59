import { type AppUnderTest, createApp } from './app-under-test.ts';
import type { Backend, TestDatabase } from './databases.ts';
import { type FaultProxy, passAll, startFaultProxy } from './fault-proxy.ts';
import { type ServerProcess, startReliabilityServer } from './reliability-server.ts';

/** Server settings that make faults show quickly: 1 s Retry-After, a short SQLite busy wait. */
export const FAST_FAULT_ENV = {
  SIGNET_RETRY_AFTER_SECONDS: '1',
  SIGNET_SQLITE_BUSY_TIMEOUT_MS: '200',
};

/**
 * One scenario's world: a fresh database of `backend`, a real `signet serve` process on it, a
 * fault proxy in front (clients talk to `proxy.url`), and an app in `required` mode.
 *
 * @example
 * const world = await openScenario(backend);
 * await world.restart({ kill: true });
 */
export async function openScenario(backend: Backend) {
  const db: TestDatabase = await backend.create();
  let server: ServerProcess = await startReliabilityServer(db.url, FAST_FAULT_ENV);
  const proxy: FaultProxy = await startFaultProxy(server.url, passAll);
  const app: AppUnderTest = await createApp(proxy.url);
  return {
    db,
    proxy,
    app,
    get server() {
      return server;
    },
    /** Kills the server (SIGKILL) and starts a new one on the same database; the proxy follows it. */
    async restart(): Promise<void> {
      await server.kill();
      server = await startReliabilityServer(db.url, FAST_FAULT_ENV);
      proxy.setTarget(server.url);
    },
    async close(): Promise<void> {
      await proxy.close();
      await server.stop();
      await db.drop();
    },
  };
}
export type Scenario = Awaited<ReturnType<typeof openScenario>>;
