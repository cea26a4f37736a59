import { LIMITS } from '@signet/protocol';
import type { AppRegistry } from '../../auth/app-registry.ts';
import { appNotFound } from '../../errors.ts';
import type { AuditLog } from '../../store/audit-log.ts';
import type { DataReader } from '../../store/data-reader.ts';
import type { AppRow, RegistryStore } from '../../store/registry-store.ts';
import type { StatisticsReader } from '../../store/statistics-reader.ts';
import type { UserEraser } from '../../store/user-eraser.ts';
import type { AdminAudit } from '../audit.ts';

/** What every admin route needs. */
export interface AdminDeps {
  /** The parts of the store the admin API reads and changes. */
  store: RegistryStore & DataReader & StatisticsReader & AuditLog & UserEraser;
  registry: AppRegistry;
  /** Records every admin change (SPEC §5). */
  audit: AdminAudit;
  now: () => number;
}

export const appIdParams = {
  type: 'object',
  required: ['appId'],
  properties: { appId: { type: 'string', minLength: 1, maxLength: LIMITS.maxIdLength } },
} as const;

/** `:appId` and `:userId` of a route about one user of an app. */
export const appUserParams = {
  type: 'object',
  required: ['appId', 'userId'],
  properties: {
    ...appIdParams.properties,
    userId: { type: 'string', minLength: 1, maxLength: LIMITS.maxIdLength },
  },
} as const;

/** The app, or a 404 `APP_NOT_FOUND`. */
export async function requireApp(store: RegistryStore, appId: string): Promise<AppRow> {
  const app = await store.getApp(appId);
  if (!app) throw appNotFound();
  return app;
}
