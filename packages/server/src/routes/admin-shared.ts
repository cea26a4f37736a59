import { LIMITS } from '@signet/protocol';
import type { AppRegistry } from '../auth/app-registry.ts';
import { appNotFound } from '../errors.ts';
import type { AppRow, Store } from '../store/store.ts';

/** What every admin route needs. */
export interface AdminDeps {
  store: Store;
  registry: AppRegistry;
  now: () => number;
}

export const appIdParams = {
  type: 'object',
  required: ['appId'],
  properties: { appId: { type: 'string', minLength: 1, maxLength: LIMITS.maxIdLength } },
} as const;

/** The app, or a 404 `APP_NOT_FOUND`. */
export async function requireApp(store: Store, appId: string): Promise<AppRow> {
  const app = await store.getApp(appId);
  if (!app) throw appNotFound();
  return app;
}
