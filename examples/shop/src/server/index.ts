export type { DemoAdminToken } from './demo-admin-token.ts';
export { demoAdminToken } from './demo-admin-token.ts';
export type { DemoApp } from './demo-app.ts';
export { setupDemoApp } from './demo-app.ts';
export { sdkBundlePath } from './sdk-bundle.ts';
export { Sessions } from './sessions.ts';
export type { RunningShop, ShopOptions } from './shop-server.ts';
export { startShop } from './shop-server.ts';
