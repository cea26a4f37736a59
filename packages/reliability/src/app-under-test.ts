import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { ADMIN_TOKEN } from './reliability-server.ts';

/** A stored event as the admin API returns it. */
export interface StoredEvent {
  id: string;
  type: string;
  name?: string;
  userId: string | null;
  verified: boolean | null;
  properties?: Record<string, unknown>;
}

/** Calls the admin API of the server (or proxy) at `base`. */
export async function adminCall(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/admin/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

/**
 * An app in `required` mode with one registered ES256 key, created through the admin API;
 * `sign` makes real user tokens as the app's backend would.
 *
 * @example
 * const app = await createApp(server.url);
 * const token = await app.sign('alice');
 */
export async function createApp(base: string, mode: 'required' | 'optional' = 'required') {
  const key = await generateKeyPair('ES256', { extractable: true });
  const created = await adminCall(base, 'POST', '/apps', { name: 'reliability' });
  if (created.status !== 201) throw new Error(`app not created: ${JSON.stringify(created.body)}`);
  const appId = created.body.id as string;
  const added = await adminCall(base, 'POST', `/apps/${appId}/keys`, {
    pem: await exportSPKI(key.publicKey),
  });
  if (added.status !== 201) throw new Error(`key not added: ${JSON.stringify(added.body)}`);
  const set = await adminCall(base, 'PUT', `/apps/${appId}/jwt`, { mode });
  if (set.status !== 200) throw new Error(`mode not set: ${JSON.stringify(set.body)}`);
  return {
    appId,
    kid: added.body.kid as string,
    /** A token for `sub` valid `ttlSeconds`, issued `issuedAgoSeconds` ago (an expired one: ago > ttl). */
    sign(sub: string, ttlSeconds = 900, issuedAgoSeconds = 0): Promise<string> {
      const now = Math.floor(Date.now() / 1000) - issuedAgoSeconds;
      return new SignJWT({ sub, iat: now, exp: now + ttlSeconds })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: added.body.kid })
        .sign(key.privateKey);
    },
    /** Every stored event of the app (the admin API's limit of 1000 is enough for a scenario). */
    async events(serverBase = base): Promise<StoredEvent[]> {
      const res = await adminCall(serverBase, 'GET', `/apps/${appId}/events?limit=1000`);
      if (res.status !== 200) throw new Error(`events: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.events as StoredEvent[];
    },
  };
}
export type AppUnderTest = Awaited<ReturnType<typeof createApp>>;
