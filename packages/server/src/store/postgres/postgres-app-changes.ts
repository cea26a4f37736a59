import { sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from '../schema.ts';

/** The channel every instance LISTENs on; the payload is the changed app's id. */
const CHANNEL = 'signet_app_changed';

/** Tells every instance, when `trx` commits, that the app changed (NOTIFY is sent on commit). */
export async function announceAppChange(trx: Transaction<Database>, appId: string): Promise<void> {
  await sql`select pg_notify(${CHANNEL}, ${appId})`.execute(trx);
}

/**
 * LISTENs for app changes on a connection of its own. If that connection dies it is re-opened
 * after a pause; the registry's periodic version check covers anything missed meanwhile.
 *
 * @example
 * const changes = new AppChangeListener(url);
 * const stop = await changes.watch((appId) => registry.invalidate(appId));
 */
export class AppChangeListener {
  private client: pg.Client | null = null;

  constructor(private readonly url: string) {}

  async watch(onChange: (appId: string) => void): Promise<() => Promise<void>> {
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    const connect = async (): Promise<void> => {
      const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000 });
      const reconnect = () => {
        if (this.client === client) this.client = null;
        client.end().catch(() => undefined);
        if (!stopped) retry = setTimeout(() => void connect().catch(() => reconnect()), 1_000).unref();
      };
      client.on('error', reconnect);
      client.on('notification', (message) => {
        if (message.channel === CHANNEL && message.payload) onChange(message.payload);
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${CHANNEL}`);
        this.client = client;
      } catch (error) {
        reconnect();
        if (!(error instanceof Error)) throw error;
      }
    };
    await connect();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      await this.close();
    };
  }

  async close(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}
