export type { OidcProvider, OidcProviderOptions, OidcTokens } from './oidc-provider.ts';
export { startOidcProvider } from './oidc-provider.ts';
export type { TestDatabase } from './postgres.ts';
export { createTestDatabase, postgresUnavailable } from './postgres.ts';
export type { ServerProcess } from './server-process.ts';
export { startServerProcess } from './server-process.ts';
