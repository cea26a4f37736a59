// `npm run demo`: the whole loop on one machine. Starts Signet on ./demo.db, gets the "Demo shop"
// app ready (fresh key pair, required mode), starts the shop and prints where to click.
// `npm run demo -- --provider` (or SIGNET_DEMO_PROVIDER=1): the shop signs users in through a
// real OpenID provider running locally, and Signet verifies the provider's ID tokens.

import { dirname, join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { loadConfig, startServer } from '@signet/server';
import { startOidcProvider } from '@signet/test-services/oidc-provider';
import { demoAdminToken, openIdSignIn, sdkBundlePath, setupDemoApp, startShop } from './server/index.ts';

// src/demo.ts and dist/demo.js sit at the same depth: the repository is three levels up.
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const databaseFile = join(repoRoot, 'demo.db');
const tokenFile = join(repoRoot, 'demo.admin-token');
const closers: (() => Promise<void>)[] = [];

async function main(): Promise<void> {
  const env = process.env;
  const shopPort = Number(env.SHOP_PORT ?? 4100);
  if (!Number.isInteger(shopPort) || shopPort < 0 || shopPort > 65_535) {
    throw new Error(`SHOP_PORT must be an integer from 0 to 65535, got "${env.SHOP_PORT}"`);
  }
  const providerMode = process.argv.includes('--provider') || env.SIGNET_DEMO_PROVIDER === '1';
  if (providerMode) {
    if (shopPort === 0)
      throw new Error('--provider needs a fixed SHOP_PORT: the provider must know its redirect URI');
    // The provider listens on 127.0.0.1 over http: Signet refuses such a JWKS unless told.
    env.SIGNET_JWKS_ALLOW_PRIVATE_NETWORK = '1';
  }
  const admin = demoAdminToken(tokenFile, env);
  const config = {
    ...loadConfig(env),
    host: '127.0.0.1',
    databaseUrl: `sqlite:${databaseFile}`,
    adminToken: admin.token,
    logLevel: env.SIGNET_LOG_LEVEL ?? 'warn',
  };
  // Its own banner is not printed: the summary below says everything in one place.
  const server = await startServer(config, {
    handleSignals: false,
    out: new Writable({ write: (_c, _e, done) => done() }),
  });
  closers.push(server.close);
  const signetUrl = server.url.replace('://localhost', '://127.0.0.1');
  const redirectUri = `http://127.0.0.1:${shopPort}/auth/callback`;
  const provider = providerMode
    ? await startOidcProvider({
        clientId: 'demo-shop',
        redirectUris: [redirectUri],
        idTokenTtlSeconds: parseTtl(env.SHOP_TOKEN_TTL ?? '2m'),
        port: Number(env.PROVIDER_PORT ?? 4200),
      })
    : null;
  if (provider) closers.push(provider.close);
  const demo = await setupDemoApp({
    signetUrl,
    adminToken: admin.token,
    name: 'Demo shop',
    ...(provider && { identityProvider: { issuer: provider.issuer, audience: provider.clientId } }),
  });
  const shop = await startShop({
    ...(provider && {
      openId: await openIdSignIn({
        issuer: provider.issuer,
        clientId: provider.clientId,
        clientSecret: provider.clientSecret,
        redirectUri,
      }),
    }),
    appId: demo.appId,
    signetUrl,
    dashboardUrl: `${signetUrl}/#/apps/${demo.appId}/monitor`,
    privateKeyPem: demo.keys.privateKeyPem,
    kid: demo.keys.kid,
    ttl: env.SHOP_TOKEN_TTL ?? '2m',
    sdkBundlePath: sdkBundlePath(),
    port: shopPort,
    host: '127.0.0.1',
  });
  closers.unshift(shop.close);

  const where = {
    SIGNET_ADMIN_TOKEN: 'from SIGNET_ADMIN_TOKEN',
    file: `kept in ${relative(process.cwd(), tokenFile) || tokenFile}`,
    generated: `new; kept in ${relative(process.cwd(), tokenFile) || tokenFile} for the next run`,
  }[admin.source];
  process.stdout.write(
    [
      '',
      `  Shop        ${shop.url}`,
      `  Dashboard   ${signetUrl}/#/apps/${demo.appId}/overview`,
      `  Admin token ${admin.token}   (${where})`,
      '',
      `  Signet app "Demo shop" ${demo.appId} (${demo.created ? 'created' : 'reused'}), mode required,`,
      `  key ${demo.keys.kid} registered${demo.removedKids.length > 0 ? `, ${demo.removedKids.length} key(s) of earlier runs removed` : ''}.`,
      `  Data: ${relative(process.cwd(), databaseFile) || databaseFile}. Tokens live ${env.SHOP_TOKEN_TTL ?? '2m'}.`,
      ...(provider
        ? [
            '',
            `  OpenID provider ${provider.issuer} (oidc-provider, on this machine): the shop signs users in`,
            `  there and sends its ID tokens; Signet verifies them through discovery (issuer ${provider.issuer},`,
            `  audience ${provider.clientId}). The dashboard's Authentication tab shows the keys it fetched.`,
          ]
        : []),
      '',
      '  Sign in to the shop and buy something, then open the dashboard with the admin token.',
      '  Its "Auth monitor" tab lists what was refused and why. Ctrl-C stops both.',
      '',
    ].join('\n'),
  );
}

/** `90s`, `2m`, `1h` or plain seconds, as SHOP_TOKEN_TTL is written. */
function parseTtl(ttl: string): number {
  const match = /^(\d+)\s*([smh]?)$/.exec(ttl.trim());
  if (!match) throw new Error(`SHOP_TOKEN_TTL must look like 90s, 2m or 1h, got "${ttl}"`);
  return Number(match[1]) * ({ '': 1, s: 1, m: 60, h: 3600 }[match[2] ?? ''] ?? 1);
}

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) process.exit(code); // a second Ctrl-C does not wait
  stopping = true;
  for (const close of closers) await close().catch(() => {});
  process.exit(code);
}
process.once('SIGINT', () => {
  process.stdout.write('\nStopping the shop and Signet…\n');
  void stop(0);
});
process.once('SIGTERM', () => void stop(0));

main().catch((error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
  void stop(1);
});
