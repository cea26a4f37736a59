import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRefusedAddress } from '../src/jwks/address-policy.ts';
import { cacheSecondsOf } from '../src/jwks/cache-lifetime.ts';
import { parseJwkSet } from '../src/jwks/jwk-set.ts';
import { JwksProvider } from '../src/jwks/jwks-provider.ts';
import { checkedLookup, fetchLimited } from '../src/jwks/limited-fetch.ts';
import { checkProviderUrl } from '../src/jwks/provider-url.ts';
import { providerKey, startTestProvider, type TestProvider } from './jwks-test-provider.ts';

/*
 * The JWKS fetcher against a real HTTP server of ours on 127.0.0.1 (SPEC §4.1). Reaching it
 * needs the private-network allowance; the refusals without it are shown on the same server,
 * which then counts no request.
 */

let idp: TestProvider;
beforeEach(async () => {
  idp = await startTestProvider();
});
afterEach(() => idp.close());

const ALLOW = { allowPrivateNetwork: true, timeoutMs: 5_000, maxBytes: 512 * 1024 };

describe('URL and address rules', () => {
  it('refuses http, private, loopback and link-local URLs without the allowance', () => {
    const cases: [string, string][] = [
      ['http://idp.example.com/jwks', 'not_https'],
      ['https://localhost/jwks', 'private_address'],
      ['https://LOCALHOST./jwks', 'private_address'],
      ['https://idp.localhost/jwks', 'private_address'],
      ['https://intranet/jwks', 'private_address'],
      ['https://127.0.0.1/jwks', 'private_address'],
      ['https://2130706433/jwks', 'private_address'],
      ['https://10.1.2.3/jwks', 'private_address'],
      ['https://172.16.0.1/jwks', 'private_address'],
      ['https://192.168.1.1/jwks', 'private_address'],
      ['https://169.254.169.254/latest/meta-data', 'private_address'],
      ['https://100.64.0.1/jwks', 'private_address'],
      ['https://[::1]/jwks', 'private_address'],
      ['https://[fe80::1]/jwks', 'private_address'],
      ['https://[fd00::1]/jwks', 'private_address'],
      ['https://[::ffff:127.0.0.1]/jwks', 'private_address'],
      ['https://user:pw@idp.example.com/jwks', 'malformed_url'],
      ['not a url', 'malformed_url'],
    ];
    for (const [url, reason] of cases) {
      expect({ url, result: checkProviderUrl(url, false) }).toMatchObject({
        url,
        result: { ok: false, reason },
      });
    }
    expect(checkProviderUrl('https://idp.example.com/.well-known/jwks.json', false).ok).toBe(true);
    expect(checkProviderUrl('https://8.8.8.8/jwks', false).ok).toBe(true);
    expect(checkProviderUrl('http://127.0.0.1:8080/jwks', true).ok).toBe(true);
    expect(checkProviderUrl('ftp://idp.example.com/jwks', true)).toMatchObject({ reason: 'not_https' });
  });

  it('classifies addresses, IPv4-mapped IPv6 included', () => {
    for (const refused of [
      '127.0.0.1',
      '0.0.0.0',
      '10.0.0.1',
      '192.168.0.1',
      '169.254.1.1',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      '::ffff:10.0.0.1',
      '::ffff:7f00:1',
      'not-an-ip',
    ]) {
      expect({ refused, is: isRefusedAddress(refused) }).toEqual({ refused, is: true });
    }
    for (const open of ['8.8.8.8', '142.250.74.78', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect({ open, is: isRefusedAddress(open) }).toEqual({ open, is: false });
    }
  });

  it('refuses a name that resolves to 127.0.0.1 (localhost, through the real resolver)', async () => {
    const lookup = checkedLookup(false);
    const error = await new Promise<Error | null>((resolve) =>
      lookup('localhost', {}, (err) => resolve(err as Error | null)),
    );
    expect(error?.message).toMatch(/private or loopback/);
    const allowed = await new Promise<string>((resolve) =>
      checkedLookup(true)('localhost', { family: 4 }, (_err, address) => resolve(address as string)),
    );
    expect(allowed).toBe('127.0.0.1');
  });

  it('connects only to a checked address: a public-looking name resolving to 127.0.0.1 is never contacted', async () => {
    idp.json('/jwks', { keys: [] });
    const port = new URL(idp.url).port;
    // An attacker's DNS names loopback (or rebinds to it): the address connected to is the one checked.
    const rebinding = async (): Promise<LookupAddress[]> => [{ address: '127.0.0.1', family: 4 }];
    const refused = await fetchLimited(new URL(`https://idp.attacker.example:${port}/jwks`), {
      ...ALLOW,
      allowPrivateNetwork: false,
      resolve: rebinding,
    });
    expect(refused).toMatchObject({ ok: false, kind: 'address_refused' });
    const mixed = await fetchLimited(new URL(`https://idp.attacker.example:${port}/jwks`), {
      ...ALLOW,
      allowPrivateNetwork: false,
      resolve: async () => [
        { address: '10.0.0.7', family: 4 },
        { address: '::1', family: 6 },
      ],
    });
    expect(mixed).toMatchObject({ ok: false, kind: 'address_refused' });
    expect(idp.count()).toBe(0);
    // With the allowance the same resolver is what the connection uses: it reaches our server.
    const allowed = await fetchLimited(new URL(`http://idp.attacker.example:${port}/jwks`), {
      ...ALLOW,
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    expect(allowed).toMatchObject({ ok: true });
    expect(idp.count('/jwks')).toBe(1);
  });

  it('without the allowance, fetches nothing from our server over http or by its address', async () => {
    idp.json('/jwks', { keys: [] });
    const port = new URL(idp.url).port;
    const limits = { ...ALLOW, allowPrivateNetwork: false };
    expect(await fetchLimited(new URL(`${idp.url}/jwks`), limits)).toMatchObject({ kind: 'not_https' });
    expect(await fetchLimited(new URL(`https://127.0.0.1:${port}/jwks`), limits)).toMatchObject({
      kind: 'address_refused',
    });
    expect(await fetchLimited(new URL(`https://localhost:${port}/jwks`), limits)).toMatchObject({
      kind: 'address_refused',
    });
    expect(idp.count()).toBe(0);
  });
});

describe('answers refused', () => {
  it('does not follow a redirect', async () => {
    idp.on('/jwks', (_req, res) => res.writeHead(302, { location: `${idp.url}/elsewhere` }).end());
    idp.json('/elsewhere', { keys: [] });
    expect(await fetchLimited(new URL(`${idp.url}/jwks`), ALLOW)).toMatchObject({
      ok: false,
      kind: 'redirect_refused',
    });
    expect(idp.count('/elsewhere')).toBe(0);
  });

  it('refuses a document over 512 KiB, declared or streamed, and stops reading', async () => {
    const big = Buffer.alloc(600 * 1024, 0x20);
    idp.on('/declared', (_req, res) => res.writeHead(200, { 'content-length': big.length }).end(big));
    let written = 0;
    let closedEarly = false;
    idp.on('/streamed', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      res.on('close', () => {
        closedEarly = written < 100 * chunk.length;
      });
      const pump = () => {
        while (written < 100 * chunk.length && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    expect(await fetchLimited(new URL(`${idp.url}/declared`), ALLOW)).toMatchObject({ kind: 'too_large' });
    expect(await fetchLimited(new URL(`${idp.url}/streamed`), ALLOW)).toMatchObject({ kind: 'too_large' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // 6.4 MiB offered; the connection was cut long before.
    expect(closedEarly).toBe(true);
  });

  it('gives up after 5 s, slow headers or a slow trickle of body alike', async () => {
    idp.on('/silent', () => {
      // Never answers.
    });
    const started = Date.now();
    expect(await fetchLimited(new URL(`${idp.url}/silent`), ALLOW)).toMatchObject({ kind: 'timeout' });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(4_900);
    expect(took).toBeLessThan(6_500);

    idp.on('/trickle', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys":[');
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), 50);
    });
    const trickleStart = Date.now();
    expect(await fetchLimited(new URL(`${idp.url}/trickle`), { ...ALLOW, timeoutMs: 1_000 })).toMatchObject({
      kind: 'timeout',
    });
    expect(Date.now() - trickleStart).toBeLessThan(2_000);
  }, 15_000);

  it('reports a non-200 answer and an unreachable provider', async () => {
    idp.on('/jwks', (_req, res) => res.writeHead(503).end('down'));
    expect(await fetchLimited(new URL(`${idp.url}/jwks`), ALLOW)).toMatchObject({ kind: 'http_status' });
    const port = new URL(idp.url).port;
    await idp.close();
    expect(await fetchLimited(new URL(`http://127.0.0.1:${port}/jwks`), ALLOW)).toMatchObject({
      kind: 'network',
      message: expect.stringContaining('ECONNREFUSED'),
    });
    idp = await startTestProvider();
  });
});

describe('keys taken from a set', () => {
  it('keeps only signing keys of allowed types and sizes, with a fitting alg', async () => {
    const good = await providerKey('RS256', 'good-rsa');
    const ec = await providerKey('ES256', 'good-ec', { use: undefined, alg: undefined });
    const enc = await providerKey('RS256', 'enc', { use: 'enc', alg: 'RSA-OAEP' });
    const mislabeled = await providerKey('ES256', 'ec-says-es384', { alg: 'ES384' });
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'jwk' });
    const set = {
      keys: [
        good.jwk,
        ec.jwk,
        enc.jwk,
        mislabeled.jwk,
        { ...weak, kid: 'rsa-1024', alg: 'RS256' },
        { ...k1, kid: 'p256k', alg: 'ES256K' },
        { kty: 'oct', k: 'c2VjcmV0', kid: 'oct', alg: 'HS256' },
        { ...good.jwk, kid: 'verify-not-allowed', key_ops: ['encrypt'] },
        { ...good.jwk, d: 'private' },
        'junk',
        { ...ec.jwk, kid: 'good-rsa' },
      ],
    };
    const parsed = parseJwkSet(Buffer.from(JSON.stringify(set)));
    expect(parsed).toMatchObject({ ok: true, ignored: 9 });
    if (!parsed.ok) return;
    expect(parsed.keys.map((k) => [k.kid, k.type, k.algorithms])).toEqual([
      ['good-rsa', 'RSA 2048', ['RS256']],
      ['good-ec', 'EC P-256', ['ES256']],
    ]);
    expect(parseJwkSet(Buffer.from('not json'))).toMatchObject({ ok: false });
    expect(parseJwkSet(Buffer.from('{"kids":[]}'))).toMatchObject({ ok: false });
  });

  it('keeps a set as long as Cache-Control says, within 1 min – 24 h, 10 min by default', () => {
    expect(cacheSecondsOf(undefined)).toBe(600);
    expect(cacheSecondsOf('public, max-age=3600, must-revalidate')).toBe(3600);
    expect(cacheSecondsOf('max-age=5')).toBe(60);
    expect(cacheSecondsOf('max-age=31536000')).toBe(86_400);
    expect(cacheSecondsOf('no-store')).toBe(60);
    expect(cacheSecondsOf('private')).toBe(600);
  });
});

describe('JwksProvider', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    clock = Date.parse('2026-12-02T06:00:00Z');
  });

  it('keeps using the cached set while the provider is down, and says so', async () => {
    const key = await providerKey('ES256', 'k1');
    idp.json('/jwks', { keys: [key.jwk] }, { 'cache-control': 'max-age=120' });
    const outcomes: string[] = [];
    const provider = new JwksProvider({
      source: { kind: 'url', url: `${idp.url}/jwks` },
      limits: { allowPrivateNetwork: true },
      now,
      onFetch: (outcome) => outcomes.push(outcome),
    });
    expect((await provider.current())?.map((k) => k.kid)).toEqual(['k1']);
    expect(provider.status()).toMatchObject({
      keys: [{ kid: 'k1', alg: 'ES256', type: 'EC P-256' }],
      fetchedAt: '2026-12-02T06:00:00.000Z',
      nextRefreshAt: '2026-12-02T06:02:00.000Z',
      lastError: null,
    });
    idp.on('/jwks', (_req, res) => res.writeHead(500).end());
    clock += 121_000;
    // Stale: answered with the cached set at once, fetched again behind.
    expect((await provider.current())?.map((k) => k.kid)).toEqual(['k1']);
    // "Fetch now" joins the fetch already under way rather than starting another.
    await provider.fetchNow();
    expect(provider.holds('k1')).toBe(true);
    expect(provider.status().lastError).toMatchObject({ kind: 'http_status' });
    expect(outcomes).toEqual(['ok', 'http_status']);
    expect(idp.count('/jwks')).toBe(2);
  });

  it('fetches at most once per 30 s for tokens, concurrent callers sharing one fetch', async () => {
    const key = await providerKey('ES256', 'k1');
    idp.on('/jwks', (_req, res) =>
      setTimeout(() => res.writeHead(200).end(JSON.stringify({ keys: [key.jwk] })), 50),
    );
    const provider = new JwksProvider({
      source: { kind: 'url', url: `${idp.url}/jwks` },
      limits: { allowPrivateNetwork: true },
      now,
    });
    await Promise.all(Array.from({ length: 50 }, () => provider.current()));
    expect(idp.count('/jwks')).toBe(1);
    await Promise.all(Array.from({ length: 50 }, () => provider.refreshForUnknownKid()));
    expect(idp.count('/jwks')).toBe(1);
    clock += 30_000;
    await Promise.all(Array.from({ length: 50 }, () => provider.refreshForUnknownKid()));
    expect(idp.count('/jwks')).toBe(2);
  });

  it('answers null while no set was ever fetched and the provider is down, retrying every 30 s', async () => {
    idp.on('/jwks', (_req, res) => res.writeHead(500).end());
    const provider = new JwksProvider({
      source: { kind: 'url', url: `${idp.url}/jwks` },
      limits: { allowPrivateNetwork: true },
      now,
    });
    expect(await provider.current()).toBeNull();
    expect(await provider.current()).toBeNull();
    expect(idp.count('/jwks')).toBe(1);
    clock += 30_000;
    expect(await provider.current()).toBeNull();
    expect(idp.count('/jwks')).toBe(2);
  });

  it('finds the JWKS through discovery, and refuses a configuration naming another issuer', async () => {
    const key = await providerKey('RS256', 'rk');
    const issuer = idp.url;
    idp.json('/.well-known/openid-configuration', { issuer, jwks_uri: `${idp.url}/keys` });
    idp.json('/keys', { keys: [key.jwk] });
    const provider = new JwksProvider({
      source: { kind: 'discovery', issuer },
      limits: { allowPrivateNetwork: true },
      now,
    });
    expect((await provider.current())?.map((k) => k.kid)).toEqual(['rk']);
    expect(provider.status()).toMatchObject({ source: 'discovery', jwksUrl: `${idp.url}/keys` });

    idp.json('/.well-known/openid-configuration', {
      issuer: 'https://someone.else',
      jwks_uri: `${idp.url}/keys`,
    });
    const other = new JwksProvider({
      source: { kind: 'discovery', issuer },
      limits: { allowPrivateNetwork: true },
      now,
    });
    expect(await other.current()).toBeNull();
    expect(other.status().lastError).toMatchObject({ kind: 'discovery_failed' });
  });

  it('refuses a discovered jwks_uri on a private address without the allowance', async () => {
    const provider = new JwksProvider({
      source: { kind: 'discovery', issuer: 'https://idp.example.test' },
      limits: {
        allowPrivateNetwork: false,
        // The issuer's name resolves to our server; nothing is fetched from it.
        resolve: async () => [{ address: '127.0.0.1', family: 4 }],
      },
      now,
    });
    expect(await provider.current()).toBeNull();
    expect(provider.status().lastError).toMatchObject({ kind: 'address_refused' });
    expect(idp.count()).toBe(0);
  });

  it('keeps the last good set when a new document has no usable key', async () => {
    const key = await providerKey('ES256', 'k1');
    idp.json('/jwks', { keys: [key.jwk] });
    const provider = new JwksProvider({
      source: { kind: 'url', url: `${idp.url}/jwks` },
      limits: { allowPrivateNetwork: true },
      now,
    });
    await provider.current();
    idp.json('/jwks', { keys: [{ ...key.jwk, use: 'enc' }] });
    await provider.fetchNow();
    expect(provider.holds('k1')).toBe(true);
    expect(provider.status().lastError).toMatchObject({ kind: 'invalid_document' });
  });
});

/** A self-signed certificate for 127.0.0.1, made with the machine's openssl; null without it. */
function selfSignedCertificate(): { key: string; cert: string } | null {
  const dir = mkdtempSync(join(tmpdir(), 'signet-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tls = selfSignedCertificate();
if (!tls) console.warn('jwks-fetcher: no openssl, so the https provider test cannot make a certificate');

describe.skipIf(tls === null)('over https', () => {
  it('fetches from an https provider whose certificate verifies, and refuses one that does not', async () => {
    const { key, cert } = tls as { key: string; cert: string };
    const jwk = (await providerKey('ES256', 'tls-key')).jwk;
    let requests = 0;
    const server = createHttpsServer({ key, cert }, (_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`);
    try {
      const trusted = await fetchLimited(url, { ...ALLOW, ca: cert });
      expect(trusted.ok).toBe(true);
      // The certificate is checked: self-signed and not trusted is a network failure.
      expect(await fetchLimited(url, ALLOW)).toMatchObject({ ok: false, kind: 'network' });
      // And without the allowance, the loopback address is never contacted, https or not.
      expect(await fetchLimited(url, { ...ALLOW, allowPrivateNetwork: false, ca: cert })).toMatchObject({
        kind: 'address_refused',
      });
      expect(requests).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
