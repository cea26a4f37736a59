import { type ServerProcess, startServerProcess } from '@signet/test-services';

export type { ServerProcess };
export const ADMIN_TOKEN = 'reliability-admin-token-0123456789';

/** A real `signet serve` process on `databaseUrl` with the scenarios' admin token. */
export function startReliabilityServer(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  return startServerProcess({ SIGNET_DATABASE_URL: databaseUrl, SIGNET_ADMIN_TOKEN: ADMIN_TOKEN, ...env });
}
