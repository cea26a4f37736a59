import { type GeneratedKeyPair, generateKeyPair } from '@signet/issuer';

/** The label prefix of the keys demo runs register. */
const RUN_LABEL = 'demo run ';

export interface DemoApp {
  appId: string;
  /** True when the app was made now; false when an app with the name was reused. */
  created: boolean;
  /** The fresh key pair: its public half is registered, its private half signs the shop's tokens. */
  keys: GeneratedKeyPair;
  /** Keys of earlier runs removed (their private halves died with those runs). */
  removedKids: string[];
}

/**
 * Gets the demo's Signet app ready through the admin API, as an operator would: reuses the app
 * named `name` (or creates it), registers a fresh ES256 key pair, removes the keys earlier runs
 * registered (by their label), and sets the mode to `required`.
 *
 * @example
 * const demo = await setupDemoApp({ signetUrl: 'http://127.0.0.1:4000', adminToken, name: 'Demo shop' });
 * startShop({ appId: demo.appId, privateKeyPem: demo.keys.privateKeyPem, kid: demo.keys.kid, … });
 */
export async function setupDemoApp(options: {
  signetUrl: string;
  adminToken: string;
  name?: string;
  /**
   * Verify ID tokens of this OpenID provider too (found through discovery on its issuer, for
   * the audience of the shop's client id). Without it, an earlier run's provider is removed.
   */
  identityProvider?: { issuer: string; audience: string };
}): Promise<DemoApp> {
  const name = options.name ?? 'Demo shop';
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${options.signetUrl}/admin/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.adminToken}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} /admin/v1${path} answered ${res.status}: ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };

  const { apps } = await admin<{ apps: { id: string; name: string }[] }>('GET', '/apps');
  const existing = apps.find((app) => app.name === name);
  const appId = existing?.id ?? (await admin<{ id: string }>('POST', '/apps', { name })).id;

  const keys = await generateKeyPair({ alg: 'ES256' });
  const label = `${RUN_LABEL}${new Date().toISOString().slice(0, 19).replace('T', ' ')}`;
  await admin('POST', `/apps/${appId}/keys`, { pem: keys.publicKeyPem, kid: keys.kid, label });
  // Added before the old ones go: in required mode the server refuses to remove the last key.
  const { keys: registered } = await admin<{ keys: { kid: string; label: string | null }[] }>(
    'GET',
    `/apps/${appId}/keys`,
  );
  const removedKids: string[] = [];
  for (const { kid, label: other } of registered) {
    // Only keys earlier demo runs added: a key someone added by hand stays.
    if (kid === keys.kid || !other?.startsWith(RUN_LABEL)) continue;
    await admin('DELETE', `/apps/${appId}/keys/${encodeURIComponent(kid)}`);
    removedKids.push(kid);
  }
  const provider = options.identityProvider;
  await admin('PUT', `/apps/${appId}/jwt`, {
    mode: 'required',
    jwksUrl: null,
    discovery: provider !== undefined,
    issuer: provider?.issuer ?? null,
    audience: provider?.audience ?? null,
  });
  return { appId, created: existing === undefined, keys, removedKids };
}
