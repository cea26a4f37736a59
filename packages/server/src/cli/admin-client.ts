import { CliError } from './cli-error.ts';

export interface AdminTarget {
  /** The server's base URL, e.g. http://127.0.0.1:4000. */
  server: string;
  adminToken: string;
}

/** Where the CLI finds the server when neither --server nor SIGNET_URL says. */
export const DEFAULT_SERVER = 'http://127.0.0.1:4000';
const TIMEOUT_MS = 10_000;
/** Deleting an app purges its events at 45,000–160,000 a second here: ten minutes covers tens of millions. */
export const LONG_TIMEOUT_MS = 600_000;

/** Resolves --server / --admin-token over SIGNET_URL / SIGNET_ADMIN_TOKEN, or says what is missing. */
export function adminTarget(
  options: { server?: string; adminToken?: string },
  env: NodeJS.ProcessEnv,
): AdminTarget {
  const server = options.server ?? (env.SIGNET_URL || DEFAULT_SERVER);
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new CliError(`--server / SIGNET_URL "${server}" is not a URL (e.g. http://127.0.0.1:4000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`--server / SIGNET_URL must be an http or https URL, got "${server}"`);
  }
  const adminToken = options.adminToken ?? env.SIGNET_ADMIN_TOKEN;
  if (!adminToken) {
    throw new CliError(
      'no admin token: set SIGNET_ADMIN_TOKEN or pass --admin-token (`signet serve` prints one on first start)',
    );
  }
  return { server: url.href.replace(/\/+$/, ''), adminToken };
}

/**
 * One admin API call (SPEC §5). Answers the parsed JSON body (null for 204); any failure becomes
 * a CliError with one line: unreachable server, timeout, 401 or the API's own error.
 *
 * @example
 * const app = await adminCall(target, 'POST', '/admin/v1/apps', { name: 'My shop' });
 */
export async function adminCall(
  target: AdminTarget,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  /** How long to wait for the answer; longer for calls that delete much (an app, a user). */
  timeoutMs = TIMEOUT_MS,
): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${target.server}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.adminToken}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new CliError(unreachable(target.server, error, timeoutMs));
  }
  const text = await res.text();
  let parsed: unknown = null;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CliError(
        `${method} ${target.server}${path}: unexpected answer ${res.status} ${res.statusText} (not JSON; is this a Signet server?)`,
      );
    }
  }
  if (res.ok) return parsed;
  const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
  const detail = error ? `${error.code}: ${error.message}` : res.statusText;
  if (res.status === 401) {
    throw new CliError(
      `the server refused the admin token (401 ${detail}); check SIGNET_ADMIN_TOKEN or --admin-token`,
    );
  }
  throw new CliError(`${method} ${path} failed: ${res.status} ${detail}`);
}

export function unreachable(server: string, error: unknown, timeoutMs = TIMEOUT_MS): string {
  const name = (error as { name?: string }).name;
  if (name === 'TimeoutError')
    return `the Signet server at ${server} did not answer within ${timeoutMs / 1000} s`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return `cannot reach the Signet server at ${server} (${why}); start it with \`npx signet serve\` or set SIGNET_URL / --server`;
}
