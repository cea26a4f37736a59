import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { type AdminTarget, unreachable } from './admin-client.ts';
import { CliError } from './cli-error.ts';

const HEADERS_TIMEOUT_MS = 10_000;

/**
 * A streamed admin API answer (SPEC §5 export) copied to `out` as it arrives, waiting for `out`
 * to drain, so a million events pass through in constant memory. `onChunk` sees each chunk
 * after it was written (for a progress line). Errors are one-line CliErrors, as adminCall's.
 *
 * @example
 * await adminStream(target, `/admin/v1/apps/${appId}/events/export`, process.stdout);
 */
export async function adminStream(
  target: AdminTarget,
  path: string,
  out: Writable,
  onChunk: (chunk: Uint8Array) => void = () => {},
): Promise<void> {
  // Only the wait for the answer's headers is bounded: the body may take minutes.
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException('timeout', 'TimeoutError')),
    HEADERS_TIMEOUT_MS,
  );
  let res: Response;
  try {
    res = await fetch(`${target.server}${path}`, {
      headers: { authorization: `Bearer ${target.adminToken}` },
      signal: controller.signal,
    });
  } catch (error) {
    throw new CliError(
      unreachable(target.server, (error as Error).name === 'AbortError' ? controller.signal.reason : error),
    );
  } finally {
    clearTimeout(timer);
  }
  if (!res.ok || !res.body) {
    const text = await res.text();
    let detail = res.statusText;
    try {
      const error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
      if (error) detail = `${error.code}: ${error.message}`;
    } catch {
      // Not our error body: the status line says enough.
    }
    if (res.status === 401) {
      throw new CliError(
        `the server refused the admin token (401 ${detail}); check SIGNET_ADMIN_TOKEN or --admin-token`,
      );
    }
    throw new CliError(`GET ${path} failed: ${res.status} ${detail}`);
  }
  try {
    for await (const chunk of res.body) {
      if (!out.write(chunk)) await once(out, 'drain');
      onChunk(chunk);
    }
  } catch (error) {
    throw new CliError(`the answer to GET ${path} broke off: ${(error as Error).message}`);
  }
}
