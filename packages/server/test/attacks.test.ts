import { sign as cryptoSign, KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminTokenCheck } from '../src/admin/token.ts';
import { buildApp } from '../src/app.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import {
  ADMIN_TOKEN,
  appWithKey,
  b64,
  batchFor,
  handSigned,
  json,
  type KeyPair,
  keyPair,
  nowSeconds,
  privateKeyObject,
  signToken,
  startServer,
  storedCount,
  type TestServer,
  tempDir,
} from './helpers.ts';

/*
 * SPEC §4's attack checklist against the real ingestion route in `required` mode: each token
 * must be refused with its exact code and reason, and nothing may be stored.
 */

let server: TestServer;
let key: KeyPair;
let attacker: KeyPair;
let appId: string;
let kid: string;
let fetched = 0;
let lure: Server;
let lureUrl: string;
const USER = 'user-1';

beforeAll(async () => {
  server = await startServer();
  key = await keyPair('ES256');
  attacker = await keyPair('ES256');
  ({ appId, kid } = await appWithKey(server, key, 'required'));
  // A key server the attacker points jku / x5u at: it must never be asked.
  lure = createServer((_request, res) => {
    fetched += 1;
    res.end('{}');
  });
  await new Promise<void>((resolve) => lure.listen(0, '127.0.0.1', resolve));
  lureUrl = `http://127.0.0.1:${(lure.address() as AddressInfo).port}/jwks.json`;
});
afterAll(async () => {
  await server.close();
  lure.close();
});

const validClaims = () => ({ sub: USER, iat: nowSeconds(), exp: nowSeconds() + 600 });

type Attack = [name: string, token: () => Promise<string> | string, code: string, reason: string];

const attacks: Attack[] = [
  [
    'alg none',
    () => `${json({ alg: 'none', typ: 'JWT' })}.${json(validClaims())}.`,
    'HEADER_TYPE_INCOMPATIBLE',
    'algorithm_not_allowed',
  ],
  [
    'alg None',
    () => `${json({ alg: 'None' })}.${json(validClaims())}.`,
    'HEADER_TYPE_INCOMPATIBLE',
    'algorithm_not_allowed',
  ],
  [
    'HS256 keyed with the registered public key as PEM text',
    () =>
      new SignJWT(validClaims())
        .setProtectedHeader({ alg: 'HS256', kid })
        .sign(new TextEncoder().encode(key.publicPem)),
    'HEADER_TYPE_INCOMPATIBLE',
    'algorithm_not_allowed',
  ],
  [
    'HS256 keyed with the registered public key as JWK text',
    async () =>
      new SignJWT(validClaims())
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(JSON.stringify(await exportJWK(key.publicKey)))),
    'HEADER_TYPE_INCOMPATIBLE',
    'algorithm_not_allowed',
  ],
  [
    'an unregistered key with a kid',
    () => signToken(attacker, { sub: USER }, { kid: 'attacker-key' }),
    'INVALID_SIGNATURE',
    'key_not_found',
  ],
  [
    'an unregistered key without a kid',
    () => signToken(attacker, { sub: USER }),
    'INVALID_SIGNATURE',
    'signature_invalid',
  ],
  [
    "an unregistered key claiming the registered key's kid",
    () => signToken(attacker, { sub: USER }, { kid }),
    'INVALID_SIGNATURE',
    'signature_invalid',
  ],
  [
    'the attacker key embedded in header jwk',
    async () => signToken(attacker, { sub: USER }, { header: { jwk: await exportJWK(attacker.publicKey) } }),
    'INVALID_SIGNATURE',
    'signature_invalid',
  ],
  [
    'a header jku pointing at the attacker',
    () => signToken(attacker, { sub: USER }, { header: { jku: lureUrl } }),
    'INVALID_SIGNATURE',
    'signature_invalid',
  ],
  [
    'a header x5u pointing at the attacker',
    () => signToken(attacker, { sub: USER }, { header: { x5u: lureUrl } }),
    'INVALID_SIGNATURE',
    'signature_invalid',
  ],
  [
    'a header x5c carrying the attacker key',
    () => {
      const spki = KeyObject.from(attacker.publicKey as never).export({ type: 'spki', format: 'der' });
      return signToken(attacker, { sub: USER }, { header: { x5c: [spki.toString('base64')] } });
    },
    'INVALID_SIGNATURE',
    'signature_invalid',
  ],
  [
    'a kid with path traversal',
    () => signToken(key, { sub: USER }, { kid: '../../../../etc/passwd' }),
    'INVALID_SIGNATURE',
    'key_not_found',
  ],
  [
    'a kid with SQL text',
    () => signToken(key, { sub: USER }, { kid: "x' OR '1'='1' --" }),
    'INVALID_SIGNATURE',
    'key_not_found',
  ],
  [
    'a tampered payload',
    async () => {
      const [h, , s] = (await signToken(key, { sub: 'someone' })).split('.');
      return `${h}.${json(validClaims())}.${s}`;
    },
    'INVALID_SIGNATURE',
    'signature_invalid',
  ],
  [
    'an ECDSA signature of all zeros (CVE-2022-21449)',
    () => `${json({ alg: 'ES256', typ: 'JWT' })}.${json(validClaims())}.${b64(new Uint8Array(64))}`,
    'INVALID_SIGNATURE',
    'signature_invalid',
  ],
  [
    'a DER-encoded ECDSA signature',
    () => {
      const input = `${json({ alg: 'ES256', typ: 'JWT' })}.${json(validClaims())}`;
      const der = cryptoSign('sha256', Buffer.from(input), {
        key: privateKeyObject(key),
        dsaEncoding: 'der',
      });
      return `${input}.${b64(der)}`;
    },
    'INVALID_SIGNATURE',
    'signature_invalid',
  ],
  [
    'an expired token',
    () => signToken(key, { sub: USER }, { now: Date.now() - 3_600_000, ttlSeconds: 600 }),
    'TIME_CONSTRAINT_FAILURE',
    'expired',
  ],
  [
    'nbf ahead',
    () => signToken(key, { sub: USER, nbf: nowSeconds() + 600 }),
    'TIME_CONSTRAINT_FAILURE',
    'not_yet_valid',
  ],
  [
    'iat ahead',
    () => signToken(key, { sub: USER, iat: nowSeconds() + 600, exp: nowSeconds() + 1200 }),
    'TIME_CONSTRAINT_FAILURE',
    'issued_in_future',
  ],
  ['no exp', () => signToken(key, { sub: USER, exp: undefined }), 'PAYLOAD_CONTENT_MISSING', 'exp_missing'],
  [
    'exp as a string',
    () =>
      handSigned(
        { alg: 'ES256', typ: 'JWT' },
        { ...validClaims(), exp: String(nowSeconds() + 600) },
        privateKeyObject(key),
      ),
    'PAYLOAD_CONTENT_MISSING',
    'claim_invalid',
  ],
  ['no sub', () => signToken(key, {}), 'PAYLOAD_CONTENT_MISSING', 'sub_missing'],
  [
    "another user's token",
    () => signToken(key, { sub: 'user-2' }),
    'IDENTIFIER_MISMATCH',
    'subject_mismatch',
  ],
  [
    'a sub differing only by case',
    () => signToken(key, { sub: 'USER-1' }),
    'IDENTIFIER_MISMATCH',
    'subject_mismatch',
  ],
  [
    'a payload that is not an object',
    () => handSigned({ alg: 'ES256', typ: 'JWT' }, '["user-1"]', privateKeyObject(key)),
    'PAYLOAD_CONTENT_MISSING',
    'claim_invalid',
  ],
  [
    'a crit header',
    () => handSigned({ alg: 'ES256', typ: 'JWT', crit: ['exp'] }, validClaims(), privateKeyObject(key)),
    'HEADER_TYPE_INCOMPATIBLE',
    'crit_unsupported',
  ],
  [
    'typ other than JWT',
    () => signToken(key, { sub: USER }, { header: { typ: 'at+jwt' } }),
    'HEADER_TYPE_INCOMPATIBLE',
    'typ_invalid',
  ],
  [
    'two segments',
    async () => (await signToken(key, { sub: USER })).split('.').slice(0, 2).join('.'),
    'DECRYPTION_FAILED',
    'malformed',
  ],
  ['bad base64url', () => '!!!.@@@.###', 'DECRYPTION_FAILED', 'malformed'],
  [
    'a header that is not JSON',
    () => `${b64('not json')}.${json(validClaims())}.${b64('sig')}`,
    'DECRYPTION_FAILED',
    'malformed',
  ],
  [
    'a duplicated sub claim read as jose reads it (last wins)',
    () =>
      handSigned(
        { alg: 'ES256', typ: 'JWT' },
        `{"sub":"${USER}","sub":"mallory","iat":${nowSeconds()},"exp":${nowSeconds() + 600}}`,
        privateKeyObject(key),
      ),
    'IDENTIFIER_MISMATCH',
    'subject_mismatch',
  ],
  [
    'a 64 KiB token',
    () => `${json({ alg: 'ES256' })}.${'A'.repeat(64 * 1024)}.sig`,
    'DECRYPTION_FAILED',
    'malformed',
  ],
];

describe('the JWT attack checklist (required mode)', () => {
  for (const [name, makeToken, code, reason] of attacks) {
    it(`refuses ${name}: ${code} / ${reason}, nothing stored`, async () => {
      const token = await makeToken();
      const res = await server.ingest(appId, batchFor({ id: USER }, 2), { authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
      expect(res.body.error).toEqual({ type: 'jwt', code, reason, message: expect.any(String) });
      expect(await storedCount(server, appId)).toBe(0);
    });
  }

  it('refuses the Basic scheme as TOKEN_NOT_AVAILABLE / missing, nothing stored', async () => {
    const res = await server.ingest(appId, batchFor({ id: USER }), {
      authorization: `Basic ${Buffer.from('user-1:secret').toString('base64')}`,
    });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'TOKEN_NOT_AVAILABLE', reason: 'missing' });
    expect(await storedCount(server, appId)).toBe(0);
  });

  it('never fetched a key from a header URL', () => {
    expect(fetched).toBe(0);
  });

  it('kept every failure for the dashboard without the token', async () => {
    const failures = (await server.admin('GET', `/admin/v1/apps/${appId}/auth/failures?limit=1000`)).body
      .failures;
    expect(failures.length).toBe(attacks.length + 1);
    expect(failures[0]).toMatchObject({
      mode: 'required',
      code: 'TOKEN_NOT_AVAILABLE',
      userId: USER,
      sdk: { name: 'signet-test' },
    });
    expect(JSON.stringify(failures)).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });

  it('the same duplicated-sub token is accepted only for the last sub, as jose reads it', async () => {
    const token = handSigned(
      { alg: 'ES256', typ: 'JWT' },
      `{"sub":"${USER}","sub":"mallory","iat":${nowSeconds()},"exp":${nowSeconds() + 600}}`,
      privateKeyObject(key),
    );
    const res = await server.ingest(appId, batchFor({ id: 'mallory' }, 1), {
      authorization: `Bearer ${token}`,
    });
    expect(res.status).toBe(200);
  });
});

describe('logs', () => {
  it('never contain the token, valid or not', async () => {
    const { dir, cleanup } = tempDir();
    const store = openSqliteStore({ filename: `${dir}/signet.db` });
    await store.migrate();
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = await buildApp({
      store,
      adminToken: AdminTokenCheck.forToken(ADMIN_TOKEN),
      logger: { level: 'trace', stream, redact: ['req.headers.authorization'] },
    });
    const created = await app.inject({
      method: 'POST',
      url: '/admin/v1/apps',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { name: 'x' },
    });
    const id = created.json().id;
    const good = await signToken(key, { sub: USER });
    const bad = `${good.slice(0, -4)}AAAA`;
    for (const token of [good, bad, 'garbage']) {
      await app.inject({
        method: 'POST',
        url: `/v1/apps/${id}/batch`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: batchFor({ id: USER }, 1),
      });
    }
    await app.close();
    await store.close();
    cleanup();
    const log = lines.join('');
    expect(log.length).toBeGreaterThan(0);
    for (const part of good.split('.')) expect(log).not.toContain(part);
    expect(log).not.toContain(ADMIN_TOKEN);
  });
});
