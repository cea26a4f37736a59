import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The user's state directory for Signet: `$XDG_STATE_HOME/signet` (default
 * `~/.local/state/signet`) on Linux, `~/Library/Application Support/signet` on macOS,
 * `%LOCALAPPDATA%\signet` on Windows.
 *
 * @example
 * stateDir(); // '/home/ada/.local/state/signet'
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env, platform: string = process.platform): string {
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'signet');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'signet');
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'signet');
}
