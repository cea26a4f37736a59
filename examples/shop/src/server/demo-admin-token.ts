import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface DemoAdminToken {
  token: string;
  /** Where it came from: the environment, the file next to the database, or made now. */
  source: 'SIGNET_ADMIN_TOKEN' | 'file' | 'generated';
}

/**
 * The demo server's admin token: `SIGNET_ADMIN_TOKEN` when set; otherwise the one kept in `file`
 * (next to demo.db, git-ignored, mode 0600) by an earlier run; otherwise a new one, written
 * there. The server itself stores only a hash, so without the file a second run could not
 * reach the demo app it made the first time.
 *
 * @example
 * const { token } = demoAdminToken('demo.admin-token'); // sgn_admin_…
 */
export function demoAdminToken(file: string, env: NodeJS.ProcessEnv = process.env): DemoAdminToken {
  const configured = env.SIGNET_ADMIN_TOKEN;
  if (configured !== undefined && configured !== '')
    return { token: configured, source: 'SIGNET_ADMIN_TOKEN' };
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length < 32)
      throw new Error(`${file} does not hold an admin token; delete it to make a new one`);
    return { token: kept, source: 'file' };
  }
  const token = `sgn_admin_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, source: 'generated' };
}
