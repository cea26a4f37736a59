import { describe, expect, it } from 'vitest';
import { AdminTokenCheck } from '../src/admin/token.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/store/open-store.ts';

describe('configuration: one set of rules, however it is given', () => {
  it('loadConfig names the variable and the text it refused', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(
      'PORT must be an integer from 0 to 65535, got "eighty"',
    );
    expect(() => loadConfig({ SIGNET_DATABASE_POOL: '0' })).toThrow(
      /SIGNET_DATABASE_POOL must be an integer from 1/,
    );
    expect(loadConfig({ SIGNET_TOKEN_CACHE_SIZE: '0' }).tokenCacheSize).toBe(0);
  });

  it('SQLite: durability full unless normal is asked for, writer thread unless turned off; anything else is refused', () => {
    expect(loadConfig({}).sqliteSynchronous).toBe('full');
    expect(loadConfig({ SIGNET_SQLITE_SYNCHRONOUS: 'normal' }).sqliteSynchronous).toBe('normal');
    expect(() => loadConfig({ SIGNET_SQLITE_SYNCHRONOUS: 'off' })).toThrow(
      'SIGNET_SQLITE_SYNCHRONOUS must be full or normal, got "off"',
    );
    expect(loadConfig({}).sqliteWriterThread).toBe(true);
    expect(loadConfig({ SIGNET_SQLITE_WRITER_THREAD: 'false' }).sqliteWriterThread).toBe(false);
    expect(() => loadConfig({ SIGNET_SQLITE_WRITER_THREAD: 'no' })).toThrow(
      'SIGNET_SQLITE_WRITER_THREAD must be true or false, got "no"',
    );
  });

  it('buildApp refuses a setting out of range instead of running with it', async () => {
    const store = openStore('sqlite::memory:');
    const adminToken = AdminTokenCheck.forToken('config-test-admin-token-0123456789');
    try {
      await expect(buildApp({ store, adminToken, config: { requestTimeoutMs: 5 } })).rejects.toThrow(
        /SIGNET_REQUEST_TIMEOUT_MS must be an integer from 1000 to 600000, got 5/,
      );
      await expect(buildApp({ store, adminToken, config: { metricsToken: 'short' } })).rejects.toThrow(
        /SIGNET_METRICS_TOKEN must be at least 32 characters/,
      );
    } finally {
      await store.close();
    }
  });
});
