export { AdminTokenCheck, resolveAdminToken } from './admin-token.ts';
export type { BuildAppOptions } from './app.ts';
export { buildApp } from './app.ts';
export type { ServerConfig } from './config.ts';
export { CONFIG_ENV, DEFAULT_CONFIG, loadConfig } from './config.ts';
export { openStore } from './store/open-store.ts';
export type { Store } from './store/store.ts';
export { StorageUnavailableError } from './store/store.ts';
