import {
  createTokenIssuer,
  type GeneratedKeyPair,
  generateKeyPair,
  KEY_ALGORITHMS,
  verifyToken,
} from '@signet/issuer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RealServer, requiredApp, startRealServer } from './cli-helpers.ts';

/*
 * Tokens made by @signet/issuer, as an app's backend makes them, against the real server in
 * `required` mode: accepted for their user, refused for another, and `verifyToken` (the
 * library's local check) gives the server's own verdict.
 */

let server: RealServer;
const pairs = new Map<string, GeneratedKeyPair>();

beforeAll(async () => {
  server = await startRealServer();
  for (const alg of KEY_ALGORITHMS) pairs.set(alg, await generateKeyPair({ alg }));
});
afterAll(() => server.close());

const pair = (alg: string) => pairs.get(alg) as GeneratedKeyPair;

describe('tokens from the library, checked by the real server in required mode', () => {
  it.each(KEY_ALGORITHMS)('%s: accepted with and without a kid; refused for another user', async (alg) => {
    const p = pair(alg);
    const { appId, kid } = await requiredApp(server, p.publicKeyPem);
    expect(kid).toBe(p.kid);
    const withKid = createTokenIssuer({ privateKey: p.privateKeyPem, alg, kid: p.kid });
    const withoutKid = createTokenIssuer({ privateKey: p.privateJwk as never, alg });
    for (const issuer of [withKid, withoutKid]) {
      const accepted = await server.ingest(appId, 'user-1', await issuer.issue('user-1'));
      expect(accepted).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } });
    }
    const refused = await server.ingest(appId, 'user-2', await withKid.issue('user-1'));
    expect(refused.status).toBe(401);
    expect(refused.body.error).toMatchObject({ code: 'IDENTIFIER_MISMATCH', reason: 'subject_mismatch' });
  });
});

describe('verifyToken agrees with the server', () => {
  it('on valid, expired, wrong-key and wrong-subject tokens', async () => {
    const p = pair('ES256');
    const other = await generateKeyPair();
    const { appId } = await requiredApp(server, p.publicKeyPem);
    const issuer = createTokenIssuer({ privateKey: p.privateKeyPem });
    const past = createTokenIssuer({ privateKey: p.privateKeyPem, now: () => Date.now() - 3_600_000 });
    const wrongKey = createTokenIssuer({ privateKey: other.privateKeyPem });
    const cases = [
      { name: 'valid', token: await issuer.issue('user-1'), expected: null },
      { name: 'expired', token: await past.issue('user-1'), expected: 'expired' },
      { name: 'wrong key', token: await wrongKey.issue('user-1'), expected: 'signature_invalid' },
      { name: 'wrong subject', token: await issuer.issue('user-9'), expected: 'subject_mismatch' },
    ];
    for (const { name, token, expected } of cases) {
      const local = await verifyToken(token, [p.publicKeyPem], { subject: 'user-1' });
      const remote = await server.ingest(appId, 'user-1', token);
      if (expected === null) {
        expect([name, local.ok, remote.status]).toEqual([name, true, 200]);
      } else {
        expect([name, remote.status]).toEqual([name, 401]);
        expect(local).toMatchObject({ ok: false, reason: expected, code: remote.body.error.code });
        expect(remote.body.error.reason).toBe(expected);
      }
    }
  });
});
