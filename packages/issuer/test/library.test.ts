import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import { parsePublicKey } from '@signet/verifier';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTokenIssuer,
  describeExpiry,
  type GeneratedKeyPair,
  generateKeyPair,
  inspectToken,
  KEY_ALGORITHMS,
  SigningKeyError,
  verifyToken,
} from '../src/index.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const NOW_S = NOW / 1000;

const pairs = new Map<string, GeneratedKeyPair>();

beforeAll(async () => {
  for (const alg of KEY_ALGORITHMS) pairs.set(alg, await generateKeyPair({ alg }));
});

const pair = (alg: string) => pairs.get(alg) as GeneratedKeyPair;

describe('generateKeyPair', () => {
  it.each(KEY_ALGORITHMS)(
    '%s: PKCS#8 and SPKI PEM, JWKs, and the kid the server would give the key',
    (alg) => {
      const p = pair(alg);
      expect(p.alg).toBe(alg);
      expect(p.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(p.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      expect(p.publicJwk).not.toHaveProperty('d');
      expect(p.privateJwk).toHaveProperty('d');
      expect(p.publicJwk).toMatchObject({ kid: p.kid, alg, use: 'sig' });
      // Registered without a kid, by PEM or by JWK, the server names the key by this same thumbprint.
      expect(parsePublicKey({ pem: p.publicKeyPem }).kid).toBe(p.kid);
      expect(parsePublicKey({ jwk: p.publicJwk }).kid).toBe(p.kid);
      expect(parsePublicKey({ pem: p.publicKeyPem }).algorithms).toContain(alg);
    },
  );

  it('makes 2048-bit RSA keys by default and refuses smaller ones and unknown algorithms', async () => {
    expect(parsePublicKey({ pem: pair('RS256').publicKeyPem }).type).toBe('RSA 2048');
    await expect(generateKeyPair({ alg: 'RS256', modulusLength: 1024 })).rejects.toThrow(/at least 2048/);
    await expect(generateKeyPair({ alg: 'HS256' as never })).rejects.toThrow(/alg must be one of/);
  });
});

describe('createTokenIssuer', () => {
  it('issues sub, iat and exp (15 minutes by default) with typ JWT and the key natural alg', async () => {
    const issuer = createTokenIssuer({ privateKey: pair('ES256').privateKeyPem, now: () => NOW });
    const token = await issuer.issue('user-42');
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'JWT' });
    expect(decodeJwt(token)).toEqual({ sub: 'user-42', iat: NOW_S, exp: NOW_S + 900 });
  });

  it('adds kid, iss, aud and extra claims, and reports the expiry', async () => {
    const issuer = createTokenIssuer({
      privateKey: pair('EdDSA').privateJwk as never,
      kid: 'k1',
      ttl: '2h',
      issuer: 'https://shop.example',
      audience: 'signet',
      now: () => NOW,
    });
    const { token, expiresAt } = await issuer.issueWithExpiry('user-7', { plan: 'pro' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: 'k1' });
    expect(decodeJwt(token)).toEqual({
      plan: 'pro',
      sub: 'user-7',
      iat: NOW_S,
      exp: NOW_S + 7200,
      iss: 'https://shop.example',
      aud: 'signet',
    });
    expect(expiresAt).toBe('2026-06-01T14:00:00.000Z');
  });

  it('signs RSA keys RS256 by default, PS256 when asked', async () => {
    const rs = createTokenIssuer({ privateKey: pair('RS256').privateKeyPem });
    const ps = createTokenIssuer({ privateKey: pair('RS256').privateKeyPem, alg: 'PS256' });
    expect([rs.alg, ps.alg]).toEqual(['RS256', 'PS256']);
    expect(decodeProtectedHeader(await ps.issue('u')).alg).toBe('PS256');
  });

  const problem = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return error instanceof SigningKeyError
        ? `${error.problem}: ${error.message}`
        : `other: ${String(error)}`;
    }
    return 'accepted';
  };

  it('refuses, at creation, keys that cannot sign tokens the server accepts', () => {
    const ec = pair('ES256');
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const k256 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
    const ed448 = generateKeyPairSync('ed448').privateKey;
    const encrypted = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey;
    const cases: [unknown, string | undefined, RegExp][] = [
      [ec.publicKeyPem, undefined, /^public_key: This is a public key/],
      [ec.publicJwk, undefined, /^public_key: This JWK is a public key/],
      [{ kty: 'oct', k: 'c2VjcmV0' }, undefined, /^symmetric_key/],
      [createSecretKey(Buffer.from('secret')), undefined, /^symmetric_key/],
      ['my-hs256-secret', undefined, /^malformed: Not a PEM private key/],
      [ec.privateKeyPem, 'RS256', /^algorithm_mismatch: A EC P-256 key signs ES256, not RS256/],
      [ec.privateKeyPem, 'HS256', /^algorithm_mismatch/],
      [ec.privateKeyPem, 'none', /^algorithm_mismatch/],
      [rsa1024, undefined, /^weak_key: RSA key of 1024 bits/],
      [k256, undefined, /^unsupported_key: EC secp256k1/],
      [ed448, undefined, /^unsupported_key: ED448/],
      [encrypted, undefined, /^malformed: The private key is encrypted/],
    ];
    for (const [privateKey, alg, expected] of cases) {
      expect(problem(() => createTokenIssuer({ privateKey: privateKey as never, alg }))).toMatch(expected);
    }
  });

  it('refuses bad ttl, kid and audience at creation, and bad users and claims per token', async () => {
    const privateKey = pair('ES256').privateKeyPem;
    for (const ttl of ['15x', 0, -1, 1.5, '2 weeks', 31_536_001]) {
      expect(() => createTokenIssuer({ privateKey, ttl })).toThrow(/^ttl must be/);
    }
    expect(() => createTokenIssuer({ privateKey, kid: '' })).toThrow(/^kid must be/);
    expect(() => createTokenIssuer({ privateKey, audience: [] })).toThrow(/^audience/);
    const issuer = createTokenIssuer({ privateKey });
    await expect(issuer.issue('')).rejects.toThrow(/userId must be/);
    await expect(issuer.issue('x'.repeat(129))).rejects.toThrow(/userId must be/);
    await expect(issuer.issue('u', { sub: 'someone-else' })).rejects.toThrow(/may not set "sub"/);
    await expect(issuer.issue('u', { exp: 1 })).rejects.toThrow(/may not set "exp"/);
    await expect(issuer.issue('u', { blob: 'x'.repeat(9000) })).rejects.toThrow(/at most 8192/);
  });
});

describe('verifyToken', () => {
  it('reads keys as PEM, JWK object, JWK text or { pem, kid }, and applies aud, iss and lifetime', async () => {
    const p = pair('EdDSA');
    const issuer = createTokenIssuer({ privateKey: p.privateKeyPem, audience: 'a', issuer: 'i', ttl: '2h' });
    const token = await issuer.issue('u');
    for (const key of [
      p.publicKeyPem,
      p.publicJwk,
      JSON.stringify(p.publicJwk),
      { pem: p.publicKeyPem, kid: 'x' },
    ]) {
      expect((await verifyToken(token, [key as never], { audience: 'a', issuer: 'i' })).ok).toBe(true);
    }
    expect(await verifyToken(token, [p.publicKeyPem], { audience: 'b' })).toMatchObject({
      reason: 'audience_mismatch',
    });
    expect(await verifyToken(token, [p.publicKeyPem], { issuer: 'j' })).toMatchObject({
      reason: 'issuer_mismatch',
    });
    expect(await verifyToken(token, [p.publicKeyPem], { maxTokenLifetimeSeconds: 3600 })).toMatchObject({
      reason: 'lifetime_too_long',
    });
    expect(await verifyToken(token, [])).toMatchObject({ reason: 'no_keys_registered' });
    await expect(verifyToken(token, [p.privateKeyPem])).rejects.toThrow(/private key/);
  });
});

describe('inspectToken', () => {
  const at = new Date(NOW);
  it('describes the expiry in words against the clock it is given', () => {
    expect(describeExpiry(NOW_S + 899, at)).toBe('expires in 14 min');
    expect(describeExpiry(NOW_S + 45, at)).toBe('expires in 45 s');
    expect(describeExpiry(NOW_S + 5 * 3600 + 59 * 60, at)).toBe('expires in 5 h');
    expect(describeExpiry(NOW_S - 3 * 3600 - 10, at)).toBe('expired 3 h ago');
    expect(describeExpiry(NOW_S, at)).toBe('expired 0 s ago');
    expect(describeExpiry(NOW_S - 2 * 86_400, at)).toBe('expired 2 d ago');
  });

  it('decodes header and claims without verifying, and refuses what is not a JWT', async () => {
    const token = await createTokenIssuer({ privateKey: pair('ES256').privateKeyPem, now: () => NOW }).issue(
      'u',
    );
    expect(inspectToken(token, new Date(NOW + 60_000))).toEqual({
      header: { alg: 'ES256', typ: 'JWT' },
      claims: { sub: 'u', iat: NOW_S, exp: NOW_S + 900 },
      expiresAt: '2026-06-01T12:15:00.000Z',
      expiry: 'expires in 14 min',
    });
    expect(() => inspectToken('not-a-token')).toThrow(/^Not a JWT/);
  });
});
