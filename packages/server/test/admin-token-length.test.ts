import { join } from 'node:path';
import { startServerProcess } from '@signet/test-services';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { tempDir } from './helpers.ts';

/* SPEC §5: a configured SIGNET_ADMIN_TOKEN shorter than 32 characters is refused at start. */
describe('the configured admin token is at least 32 characters', () => {
  it('refuses 31 characters with one line that names the variable and never shows the token', () => {
    const token = 'x'.repeat(31);
    let message = '';
    try {
      loadConfig({ SIGNET_ADMIN_TOKEN: token });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^SIGNET_ADMIN_TOKEN must be at least 32 characters/);
    expect(message).not.toContain('\n');
    expect(message).not.toContain(token);
  });

  it('accepts 32 characters', () => {
    const token = 'x'.repeat(32);
    expect(loadConfig({ SIGNET_ADMIN_TOKEN: token }).adminToken).toBe(token);
  });

  it('stops a real server given a 16-character token, with that one line and exit code 1', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const started = startServerProcess({
        SIGNET_DATABASE_URL: `sqlite:${join(dir, 'signet.db')}`,
        SIGNET_ADMIN_TOKEN: 'aaaaaaaaaaaaaaaa',
      });
      const error = (await started.then(
        async (server) => {
          await server.stop();
          throw new Error('the server started with a 16-character admin token');
        },
        (e: Error) => e,
      )) as Error;
      const [first, ...output] = error.message.split('\n');
      expect(first).toBe('server exited with 1:');
      expect(output.filter((line) => line !== '')).toEqual([
        expect.stringMatching(/^signet: SIGNET_ADMIN_TOKEN must be at least 32 characters, got 16;/),
      ]);
    } finally {
      cleanup();
    }
  }, 30_000);
});
