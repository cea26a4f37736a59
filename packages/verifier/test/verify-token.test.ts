import { constants, generateKeyPairSync, type KeyObject, sign as nodeSign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JWT_ERRORS, type JwtErrorCode, type JwtErrorReason } from '@signet/protocol';
import { base64url, CompactSign, exportJWK, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTokenVerifier, type TokenVerifier, type VerifyResult } from '../src/index.ts';
import {
  claims,
  encodePart,
  makeKey,
  NOW,
  NOW_S,
  SETTINGS,
  sign,
  signRaw,
  type TestKey,
  verifierFor,
  withAlg,
} from './helpers.ts';

let es: TestKey; // ES256, registered as "main"
let rsa: TestKey; // RSA 2048 (RS256 by default), registered as "rsa"
let attacker: TestKey; // ES256, never registered
let verifier: TokenVerifier; // both registered keys, default settings

beforeAll(async () => {
  [es, rsa, attacker] = await Promise.all([
    makeKey('ES256', 'main'),
    makeKey('RS256', 'rsa'),
    makeKey('ES256'),
  ]);
  verifier = verifierFor([es, rsa]);
});

afterEach(() => {
  vi.restoreAllMocks();
});

function check(expectedSubject = 'alice', now = NOW) {
  return { expectedSubject, now };
}

function expectFailure(result: VerifyResult, code: JwtErrorCode, reason: JwtErrorReason) {
  expect(result.ok ? result : { code: result.code, reason: result.reason }).toEqual({ code, reason });
}

function expectOk(result: VerifyResult, kid: string) {
  expect(result).toMatchObject({ ok: true, kid, subject: 'alice' });
}

/** Signs `header.payload` with node:crypto, for ECDSA in the encoding asked for. */
function signManually(key: TestKey, header: string, payload: string, dsaEncoding: 'der' | 'ieee-p1363') {
  const input = `${header}.${payload}`;
  const signature = nodeSign('sha256', Buffer.from(input), {
    key: withAlg(key, key.alg).privateKey as KeyObject,
    dsaEncoding,
  });
  return `${input}.${signature.toString('base64url')}`;
}

/** One token for each reason of the registry; the Record type makes a missing reason a compile error. */
const REASON_CASES: Record<JwtErrorReason, () => Promise<VerifyResult>> = {
  missing: () => verifier.verify(undefined, check()),
  malformed: () => verifier.verify('abc.def', check()),
  algorithm_not_allowed: async () =>
    verifier.verify(
      await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode('secret')),
      check(),
    ),
  typ_invalid: async () => verifier.verify(await sign(es, claims(), { typ: 'at+jwt' }), check()),
  // Built by hand: jose refuses to sign a crit it does not understand.
  crit_unsupported: async () => {
    const header = encodePart({ alg: 'ES256', kid: 'main', crit: ['exp'], exp: NOW_S });
    return verifier.verify(signManually(es, header, encodePart(claims()), 'ieee-p1363'), check());
  },
  signature_invalid: async () => verifier.verify(await sign(attacker, claims(), { kid: 'main' }), check()),
  key_not_found: async () => verifier.verify(await sign(attacker), check()),
  no_keys_registered: async () => verifierFor([]).verify(await sign(es), check()),
  exp_missing: async () => verifier.verify(await sign(es, { sub: 'alice', iat: NOW_S }), check()),
  sub_missing: async () => verifier.verify(await sign(es, { iat: NOW_S, exp: NOW_S + 600 }), check()),
  claim_invalid: async () =>
    verifier.verify(await signRaw(es, JSON.stringify({ ...claims(), exp: 'tomorrow' })), check()),
  audience_mismatch: async () =>
    verifierFor([es], { audience: 'app-1' }).verify(await sign(es, claims({ aud: 'app-2' })), check()),
  issuer_mismatch: async () =>
    verifierFor([es], { issuer: 'https://a.example' }).verify(
      await sign(es, claims({ iss: 'https://b.example' })),
      check(),
    ),
  expired: async () =>
    verifier.verify(await sign(es, claims({ iat: NOW_S - 7200, exp: NOW_S - 3600 })), check()),
  not_yet_valid: async () => verifier.verify(await sign(es, claims({ nbf: NOW_S + 3600 })), check()),
  issued_in_future: async () => verifier.verify(await sign(es, claims({ iat: NOW_S + 3600 })), check()),
  lifetime_too_long: async () =>
    verifierFor([es], { maxTokenLifetimeSeconds: 300 }).verify(await sign(es), check()),
  subject_mismatch: async () => verifier.verify(await sign(es), check('bob')),
  // An app whose identity provider's keys could not be fetched, and none are cached.
  jwks_unavailable: async () =>
    createTokenVerifier({
      keys: [],
      settings: SETTINGS,
      provider: {
        current: async () => null,
        refreshForUnknownKid: async () => null,
        holds: () => false,
      },
    }).verify(await sign(es), check()),
  // The one fault reachable from outside: a clock that is not a date.
  unknown: async () =>
    verifier.verify(await sign(es), { expectedSubject: 'alice', now: new Date(Number.NaN) }),
};

describe('every JWT reason of the registry', () => {
  for (const [code, reasons] of Object.entries(JWT_ERRORS) as [JwtErrorCode, readonly JwtErrorReason[]][]) {
    for (const reason of reasons) {
      it(`${code} / ${reason}`, async () => {
        const result = await REASON_CASES[reason]();
        expectFailure(result, code, reason);
        if (!result.ok) expect(result.message.length).toBeGreaterThan(0);
      });
    }
  }
});

describe('valid tokens', () => {
  for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']) {
    it(`pass for ${alg} (one RSA 2048 key)`, async () => {
      const key = withAlg(rsa, alg);
      expectOk(await verifier.verify(await sign(key), check()), 'rsa');
    });
  }

  for (const alg of ['ES256', 'ES384', 'ES512', 'EdDSA']) {
    it(`pass for ${alg}, with and without kid`, async () => {
      const key = await makeKey(alg);
      const only = verifierFor([key]);
      const result = await only.verify(await sign(key), check());
      expect(result).toEqual({
        ok: true,
        kid: key.record.kid,
        keySource: 'registered',
        subject: 'alice',
        expiresAt: NOW_S + 600,
        cached: false,
      });
      expectOk(await only.verify(await sign(key, claims(), { kid: undefined }), check()), key.record.kid);
    });
  }

  it('without kid, try each key allowing the alg and report the one that verified', async () => {
    const second = await makeKey('ES256', 'second');
    const both = verifierFor([es, second]);
    expectOk(await both.verify(await sign(second, claims(), { kid: undefined }), check()), 'second');
    expectOk(await both.verify(await sign(es, claims(), { kid: undefined }), check()), 'main');
  });

  it('pass without expectedSubject, and with typ JWT in any case or as application/jwt', async () => {
    expectOk(await verifier.verify(await sign(es), { now: NOW }), 'main');
    for (const typ of ['JWT', 'jwt', 'application/jwt', 'Application/JWT']) {
      expectOk(await verifier.verify(await sign(es, claims(), { typ }), check()), 'main');
    }
  });

  it('default to the current time when no clock is given', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await sign(es, { sub: 'alice', iat: now, exp: now + 600 });
    expectOk(await verifier.verify(token, { expectedSubject: 'alice' }), 'main');
    expectOk(await verifier.verify(token), 'main');
  });
});

describe('attack checklist', () => {
  let server: Server;
  let requests = 0;
  let origin = '';

  beforeAll(async () => {
    server = createServer((_request, response) => {
      requests += 1;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('alg none / None / NONE, unsigned, with and without a registered kid', async () => {
    for (const alg of ['none', 'None', 'NONE']) {
      for (const kid of [undefined, 'main']) {
        const token = `${encodePart({ alg, kid })}.${encodePart(claims())}.`;
        expectFailure(
          await verifier.verify(token, check()),
          'HEADER_TYPE_INCOMPATIBLE',
          'algorithm_not_allowed',
        );
      }
    }
  });

  it('a missing or non-string alg', async () => {
    for (const header of [{ kid: 'main' }, { alg: 256 }, { alg: null }, { alg: ['ES256'] }]) {
      const token = `${encodePart(header)}.${encodePart(claims())}.AAAA`;
      expectFailure(
        await verifier.verify(token, check()),
        'HEADER_TYPE_INCOMPATIBLE',
        'algorithm_not_allowed',
      );
    }
  });

  it('HS256 signed with the registered public key as PEM text and as JWK JSON text', async () => {
    const secrets = [es.spki, JSON.stringify(await exportJWK(es.publicKey)), JSON.stringify(es.record.jwk)];
    for (const secret of secrets) {
      for (const kid of [undefined, 'main']) {
        const token = await new SignJWT(claims())
          .setProtectedHeader({ alg: 'HS256', kid })
          .sign(new TextEncoder().encode(secret));
        const result = await verifier.verify(token, check());
        expectFailure(result, 'HEADER_TYPE_INCOMPATIBLE', 'algorithm_not_allowed');
      }
    }
  });

  it('HS384, HS512, RSA-OAEP and a fully specified "Ed25519" are not signing algorithms here', async () => {
    for (const alg of ['HS384', 'HS512', 'RSA-OAEP', 'Ed25519', 'es256', 'ES256K']) {
      const token = `${encodePart({ alg, kid: 'main' })}.${encodePart(claims())}.AAAA`;
      expectFailure(
        await verifier.verify(token, check()),
        'HEADER_TYPE_INCOMPATIBLE',
        'algorithm_not_allowed',
      );
    }
  });

  it('a key that is not registered, with its own kid, with a registered kid, and without kid', async () => {
    expectFailure(await verifier.verify(await sign(attacker), check()), 'INVALID_SIGNATURE', 'key_not_found');
    expectFailure(
      await verifier.verify(await sign(attacker, claims(), { kid: 'main' }), check()),
      'INVALID_SIGNATURE',
      'signature_invalid',
    );
    expectFailure(
      await verifier.verify(await sign(attacker, claims(), { kid: undefined }), check()),
      'INVALID_SIGNATURE',
      'signature_invalid',
    );
  });

  it('no registered key for the alg when the token has no kid', async () => {
    const rsaOnly = verifierFor([rsa]);
    const result = await rsaOnly.verify(await sign(es, claims(), { kid: undefined }), check());
    expectFailure(result, 'INVALID_SIGNATURE', 'key_not_found');
  });

  it("an alg the kid's key does not allow (RS256 against the EC key, ES256 against the RSA key)", async () => {
    const rsaAsMain = await sign(rsa, claims(), { kid: 'main' });
    expectFailure(
      await verifier.verify(rsaAsMain, check()),
      'HEADER_TYPE_INCOMPATIBLE',
      'algorithm_not_allowed',
    );
    const ecAsRsa = await sign(es, claims(), { kid: 'rsa' });
    expectFailure(
      await verifier.verify(ecAsRsa, check()),
      'HEADER_TYPE_INCOMPATIBLE',
      'algorithm_not_allowed',
    );
  });

  it('attacker keys in the header (jwk, jku, x5u, x5c) are never used or fetched', async () => {
    const attackerJwk = await exportJWK(attacker.publicKey);
    const attackerDer = Buffer.from(attacker.spki.replace(/-----[^-]+-----|\s/g, ''), 'base64').toString(
      'base64',
    );
    const headers = [
      { jwk: attackerJwk },
      { jku: `${origin}/jwks.json` },
      { x5u: `${origin}/cert.pem` },
      { x5c: [attackerDer] },
      { jwk: attackerJwk, jku: `${origin}/jwks.json`, x5u: `${origin}/cert.pem`, x5c: [attackerDer] },
    ];
    for (const header of headers) {
      const withoutKid = await sign(attacker, claims(), { ...header, kid: undefined });
      expectFailure(await verifier.verify(withoutKid, check()), 'INVALID_SIGNATURE', 'signature_invalid');
      const withRegisteredKid = await sign(attacker, claims(), { ...header, kid: 'main' });
      expectFailure(
        await verifier.verify(withRegisteredKid, check()),
        'INVALID_SIGNATURE',
        'signature_invalid',
      );
      const withOwnKid = await sign(attacker, claims(), header);
      expectFailure(await verifier.verify(withOwnKid, check()), 'INVALID_SIGNATURE', 'key_not_found');
    }
    // Prove the target was reachable, so that zero requests means zero attempts.
    const probe = await fetch(`${origin}/probe`);
    await probe.text();
    expect(requests).toBe(1);
  });

  it('a kid with path traversal, SQL text, or a name from Object.prototype', async () => {
    for (const kid of ['../../etc/passwd', "' OR 1=1 --", '__proto__', 'constructor', 'toString', '']) {
      const result = await verifier.verify(await sign(attacker, claims(), { kid }), check());
      expectFailure(result, 'INVALID_SIGNATURE', 'key_not_found');
    }
  });

  it('a kid that is not a string', async () => {
    for (const kid of [123, null, { $ne: '' }, ['main']]) {
      const result = await verifier.verify(await sign(es, claims(), { kid }), check());
      expectFailure(result, 'INVALID_SIGNATURE', 'key_not_found');
    }
  });

  it('a tampered payload (another sub, original signature)', async () => {
    const [header, , signature] = (await sign(es)).split('.');
    const forged = `${header}.${encodePart(claims({ sub: 'mallory' }))}.${signature}`;
    const result = await verifier.verify(forged, check('mallory'));
    expectFailure(result, 'INVALID_SIGNATURE', 'signature_invalid');
    expect(result).toMatchObject({ kid: 'main', subject: 'mallory' });
  });

  it('a tampered header (kid switched to another registered key of the same type)', async () => {
    const second = await makeKey('ES256', 'second');
    const both = verifierFor([es, second]);
    const [, payload, signature] = (await sign(es)).split('.');
    const forged = `${encodePart({ alg: 'ES256', kid: 'second' })}.${payload}.${signature}`;
    expectFailure(await both.verify(forged, check()), 'INVALID_SIGNATURE', 'signature_invalid');
  });

  it('an ECDSA signature of all zeros (CVE-2022-21449, "psychic signatures")', async () => {
    const [header, payload] = (await sign(es)).split('.');
    for (const zeros of [new Uint8Array(64), new Uint8Array(0), new Uint8Array(1)]) {
      const token = `${header}.${payload}.${base64url.encode(zeros)}`;
      expectFailure(await verifier.verify(token, check()), 'INVALID_SIGNATURE', 'signature_invalid');
    }
  });

  it('a DER-encoded ECDSA signature (JWS requires raw r||s)', async () => {
    const header = encodePart({ alg: 'ES256', kid: 'main' });
    const payload = encodePart(claims());
    const der = signManually(es, header, payload, 'der');
    expectFailure(await verifier.verify(der, check()), 'INVALID_SIGNATURE', 'signature_invalid');
    // The same input signed as r||s passes, so only the encoding made the difference.
    expectOk(await verifier.verify(signManually(es, header, payload, 'ieee-p1363'), check()), 'main');
  });

  it('an RSA token cut short or with its signature removed', async () => {
    const token = await sign(rsa);
    const [header, payload, signature = ''] = token.split('.');
    for (const cut of [`${header}.${payload}.`, `${header}.${payload}.${signature.slice(0, -8)}`]) {
      expectFailure(await verifier.verify(cut, check()), 'INVALID_SIGNATURE', 'signature_invalid');
    }
  });

  it('expired, not yet valid, issued in the future', async () => {
    const expired = await sign(es, claims({ iat: NOW_S - 3600, exp: NOW_S - 600 }));
    expectFailure(await verifier.verify(expired, check()), 'TIME_CONSTRAINT_FAILURE', 'expired');
    const early = await sign(es, claims({ nbf: NOW_S + 600 }));
    expectFailure(await verifier.verify(early, check()), 'TIME_CONSTRAINT_FAILURE', 'not_yet_valid');
    const future = await sign(es, claims({ iat: NOW_S + 600, exp: NOW_S + 1200 }));
    expectFailure(await verifier.verify(future, check()), 'TIME_CONSTRAINT_FAILURE', 'issued_in_future');
  });

  it('no exp, exp as a string, exp as Infinity (JSON 1e400), iat and nbf as strings', async () => {
    expectFailure(
      await verifier.verify(await sign(es, { sub: 'alice' }), check()),
      'PAYLOAD_CONTENT_MISSING',
      'exp_missing',
    );
    const cases = [
      `{"sub":"alice","exp":"${NOW_S + 600}"}`,
      '{"sub":"alice","exp":1e400}',
      `{"sub":"alice","exp":${NOW_S + 600},"iat":"now"}`,
      `{"sub":"alice","exp":${NOW_S + 600},"nbf":"${NOW_S}"}`,
      `{"sub":"alice","exp":${NOW_S + 600},"nbf":-1e400}`,
    ];
    for (const json of cases) {
      const result = await verifier.verify(await signRaw(es, json), check());
      expectFailure(result, 'PAYLOAD_CONTENT_MISSING', 'claim_invalid');
    }
  });

  it('no sub, sub that is not a string, empty sub', async () => {
    const noSub = await sign(es, { exp: NOW_S + 600 });
    expectFailure(await verifier.verify(noSub, check()), 'PAYLOAD_CONTENT_MISSING', 'sub_missing');
    for (const sub of ['42', 'null', '["alice"]', '{"id":"alice"}', '""']) {
      const token = await signRaw(es, `{"sub":${sub},"exp":${NOW_S + 600}}`);
      expectFailure(await verifier.verify(token, check()), 'PAYLOAD_CONTENT_MISSING', 'claim_invalid');
    }
  });

  it("another user's token, and a sub differing only by case or by whitespace", async () => {
    const bobs = await sign(es, claims({ sub: 'bob' }));
    const bob = await verifier.verify(bobs, check('alice'));
    expectFailure(bob, 'IDENTIFIER_MISMATCH', 'subject_mismatch');
    expect(bob).toMatchObject({ kid: 'main', subject: 'bob' });
    for (const sub of ['Alice', 'ALICE', 'alice ', ' alice', 'alice\u0000']) {
      const result = await verifier.verify(await sign(es, claims({ sub })), check('alice'));
      expectFailure(result, 'IDENTIFIER_MISMATCH', 'subject_mismatch');
    }
  });

  it('a payload that is a JSON array, a JSON string, a number or not JSON', async () => {
    for (const json of ['["alice"]', '"alice"', '42', 'null', 'not json', '']) {
      const result = await verifier.verify(await signRaw(es, json), check());
      expectFailure(result, 'PAYLOAD_CONTENT_MISSING', 'claim_invalid');
    }
  });

  it('a payload that is not valid UTF-8 (a stray 0xFF byte inside sub)', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"sub":"alice'),
      Buffer.from([0xff]),
      Buffer.from(`","exp":${NOW_S + 600}}`),
    ]);
    const token = await new CompactSign(bytes)
      .setProtectedHeader({ alg: 'ES256', kid: 'main' })
      .sign(es.privateKey);
    // A lenient decoder would read the byte as U+FFFD and let this user through.
    const result = await verifier.verify(token, check('alice\uFFFD'));
    expectFailure(result, 'PAYLOAD_CONTENT_MISSING', 'claim_invalid');
  });

  it('a crit header, even one jose itself understands (b64)', async () => {
    const b64 = await signRaw(es, JSON.stringify(claims()), { crit: ['b64'], b64: true });
    expectFailure(await verifier.verify(b64, check()), 'HEADER_TYPE_INCOMPATIBLE', 'crit_unsupported');
    const unsigned = `${encodePart({ alg: 'ES256', crit: [] })}.${encodePart(claims())}.AAAA`;
    expectFailure(await verifier.verify(unsigned, check()), 'HEADER_TYPE_INCOMPATIBLE', 'crit_unsupported');
  });

  it('a typ other than JWT', async () => {
    for (const typ of ['at+jwt', 'JOSE', 'JWE', 'application/json', '', 123]) {
      const result = await verifier.verify(await sign(es, claims(), { typ }), check());
      expectFailure(result, 'HEADER_TYPE_INCOMPATIBLE', 'typ_invalid');
    }
  });

  it('two, four or five segments, bad base64url, a header that is not a JSON object', async () => {
    const token = await sign(es);
    const [header, payload, signature] = token.split('.');
    const malformed = [
      'abc',
      `${header}.${payload}`,
      `${token}.extra`,
      `${header}.${payload}.${signature}.x.y`,
      `${header}.${payload}!.${signature}`,
      `${header}.${payload}.${signature}*`,
      // In the base64url alphabet, but 4n + 1 characters long: no base64 has that length.
      `${header}.${payload}.${'A'.repeat(85)}`,
      `%%%.${payload}.${signature}`,
      `${encodePart('not json')}.${payload}.${signature}`,
      `${encodePart('["alg","ES256"]')}.${payload}.${signature}`,
      `${encodePart('null')}.${payload}.${signature}`,
      `.${payload}.${signature}`,
      '..',
      token.replace('.', ' .'),
    ];
    for (const text of malformed) {
      expectFailure(await verifier.verify(text, check()), 'DECRYPTION_FAILED', 'malformed');
    }
  });

  it('a duplicated sub claim: the last one counts, as in jose and JSON.parse', async () => {
    const token = await signRaw(es, `{"sub":"alice","sub":"mallory","exp":${NOW_S + 600}}`);
    const asAlice = await verifier.verify(token, check('alice'));
    expectFailure(asAlice, 'IDENTIFIER_MISMATCH', 'subject_mismatch');
    expect(asAlice).toMatchObject({ subject: 'mallory' });
    expect(await verifier.verify(token, check('mallory'))).toMatchObject({ ok: true, subject: 'mallory' });
  });

  it('a duplicated alg header: the last one counts for the check too', async () => {
    const header = base64url.encode('{"alg":"ES256","alg":"none","kid":"main"}');
    const token = `${header}.${encodePart(claims())}.`;
    expectFailure(await verifier.verify(token, check()), 'HEADER_TYPE_INCOMPATIBLE', 'algorithm_not_allowed');
  });

  it('a 64 KiB token, refused before decoding and reported without kid or subject', async () => {
    const token = await sign(es, claims({ padding: 'x'.repeat(64 * 1024) }));
    const result = await verifier.verify(token, check());
    expectFailure(result, 'DECRYPTION_FAILED', 'malformed');
    expect(result).toMatchObject({ kid: null, subject: null });
    expect(!result.ok && result.message).toContain('8192');
  });

  it('a token of exactly 8 KiB passes, one byte more does not', async () => {
    const base = await sign(es, claims({ pad: '' }));
    // base64url grows by 4 characters for every 3 bytes of padding.
    const padding = 'x'.repeat(((8192 - base.length) / 4) * 3);
    const exact = await sign(es, claims({ pad: padding }));
    expect(exact.length).toBeLessThanOrEqual(8192);
    expectOk(await verifier.verify(exact, check()), 'main');
    const multibyte = `${'é'.repeat(4097)}`;
    expect(Buffer.byteLength(multibyte)).toBeGreaterThan(8192);
    expect(multibyte.length).toBeLessThan(8192);
    expectFailure(await verifier.verify(multibyte, check()), 'DECRYPTION_FAILED', 'malformed');
  });

  it('an empty token', async () => {
    expectFailure(await verifier.verify('', check()), 'TOKEN_NOT_AVAILABLE', 'missing');
  });
});

describe('what jose refuses, neither side accepts', () => {
  it('RSA-PSS with a salt longer than the hash (WebCrypto, and so jose, takes only the hash length)', async () => {
    const header = encodePart({ alg: 'PS256', kid: 'rsa' });
    const input = `${header}.${encodePart(claims())}`;
    const signature = nodeSign('sha256', Buffer.from(input), {
      key: withAlg(rsa, 'PS256').privateKey as KeyObject,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN,
    });
    const token = `${input}.${signature.toString('base64url')}`;
    expectFailure(await verifier.verify(token, check()), 'INVALID_SIGNATURE', 'signature_invalid');
  });

  it('an RSA key under 2048 bits given straight to the verifier (parsePublicKey refuses it earlier)', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const weak = createTokenVerifier({
      keys: [{ kid: 'weak', algorithms: ['RS256'], jwk: publicKey.export({ format: 'jwk' }) }],
      settings: SETTINGS,
    });
    // Signed by node:crypto: jose will not sign with so small a key either.
    const input = `${encodePart({ alg: 'RS256', kid: 'weak' })}.${encodePart(claims())}`;
    const token = `${input}.${nodeSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    const result = await weak.verify(token, check());
    expect(result.ok).toBe(false);
  });
});

describe('failures, for display', () => {
  it('carry the claimed kid and sub, cut to 128 characters, and never the token', async () => {
    const kid = 'k'.repeat(300);
    const sub = 's'.repeat(300);
    const token = await sign(attacker, claims({ sub }), { kid });
    const result = await verifier.verify(token, check());
    expectFailure(result, 'INVALID_SIGNATURE', 'key_not_found');
    expect(result).toMatchObject({ kid: 'k'.repeat(128), subject: 's'.repeat(128) });
    const text = JSON.stringify(result);
    for (const part of token.split('.')) expect(text).not.toContain(part.slice(0, 40));
  });

  it('leave kid and subject null when they are not strings or cannot be read', async () => {
    const token = await signRaw(es, `{"sub":7,"exp":${NOW_S + 600}}`, { kid: 7 });
    expect(await verifier.verify(token, check())).toMatchObject({ ok: false, kid: null, subject: null });
    expect(await verifier.verify('a.b.c', check())).toMatchObject({ ok: false, kid: null, subject: null });
  });

  it('name the registered key when a token without kid verified but failed on claims', async () => {
    const token = await sign(es, claims({ sub: 'bob' }), { kid: undefined });
    expect(await verifier.verify(token, check())).toMatchObject({ ok: false, kid: 'main', subject: 'bob' });
  });
});

describe('settings', () => {
  it('audience: a string or an array containing it; missing aud fails', async () => {
    const app = verifierFor([es], { audience: 'app-1' });
    expectOk(await app.verify(await sign(es, claims({ aud: 'app-1' })), check()), 'main');
    expectOk(await app.verify(await sign(es, claims({ aud: ['other', 'app-1'] })), check()), 'main');
    for (const aud of [undefined, 'APP-1', ['other'], 'app-12']) {
      const result = await app.verify(await sign(es, claims({ aud })), check());
      expectFailure(result, 'PAYLOAD_CONTENT_MISSING', 'audience_mismatch');
    }
    // Without an audience setting, aud is not looked at.
    expectOk(await verifier.verify(await sign(es, claims({ aud: 'anything' })), check()), 'main');
  });

  it('issuer: exact match; missing iss fails', async () => {
    const app = verifierFor([es], { issuer: 'https://auth.example' });
    expectOk(await app.verify(await sign(es, claims({ iss: 'https://auth.example' })), check()), 'main');
    for (const iss of [undefined, 'https://auth.example/', 'https://AUTH.example']) {
      const result = await app.verify(await sign(es, claims({ iss })), check());
      expectFailure(result, 'PAYLOAD_CONTENT_MISSING', 'issuer_mismatch');
    }
  });

  it('maxTokenLifetimeSeconds: exactly the maximum passes, one second more fails; without iat, the time left counts', async () => {
    const app = verifierFor([es], { maxTokenLifetimeSeconds: 600 });
    expectOk(await app.verify(await sign(es, claims({ exp: NOW_S + 600 })), check()), 'main');
    const tooLong = await sign(es, claims({ exp: NOW_S + 601 }));
    expectFailure(await app.verify(tooLong, check()), 'TIME_CONSTRAINT_FAILURE', 'lifetime_too_long');
    const noIat = await sign(es, { sub: 'alice', exp: NOW_S + 600 });
    expectOk(await app.verify(noIat, check()), 'main');
    const noIatTooLong = await sign(es, { sub: 'alice', exp: NOW_S + 601 });
    expectFailure(await app.verify(noIatTooLong, check()), 'TIME_CONSTRAINT_FAILURE', 'lifetime_too_long');
    // A token that never expires in practice (exp 1e20) is refused with or without iat.
    for (const payload of [{ sub: 'alice', exp: 1e20 }, claims({ exp: 1e20 })]) {
      expectFailure(
        await app.verify(await sign(es, payload), check()),
        'TIME_CONSTRAINT_FAILURE',
        'lifetime_too_long',
      );
    }
    // With no maximum (null: the library's choice, never the server's), iat and lifetime are free.
    expectOk(await verifier.verify(noIatTooLong, check()), 'main');
  });

  it('clock tolerance 60: expired by 59 s passes, by 61 s fails', async () => {
    const by59 = await sign(es, claims({ iat: NOW_S - 600, exp: NOW_S - 59 }));
    expectOk(await verifier.verify(by59, check()), 'main');
    const by61 = await sign(es, claims({ iat: NOW_S - 600, exp: NOW_S - 61 }));
    expectFailure(await verifier.verify(by61, check()), 'TIME_CONSTRAINT_FAILURE', 'expired');
  });

  it('clock tolerance 60: nbf and iat ahead by 59 s pass, by 61 s fail', async () => {
    expectOk(await verifier.verify(await sign(es, claims({ nbf: NOW_S + 59 })), check()), 'main');
    const nbf61 = await sign(es, claims({ nbf: NOW_S + 61 }));
    expectFailure(await verifier.verify(nbf61, check()), 'TIME_CONSTRAINT_FAILURE', 'not_yet_valid');
    expectOk(await verifier.verify(await sign(es, claims({ iat: NOW_S + 59 })), check()), 'main');
    const iat61 = await sign(es, claims({ iat: NOW_S + 61 }));
    expectFailure(await verifier.verify(iat61, check()), 'TIME_CONSTRAINT_FAILURE', 'issued_in_future');
  });

  it('clock tolerance 0: a token expiring this very second is expired', async () => {
    const strict = verifierFor([es], { clockToleranceSeconds: 0 });
    const token = await sign(es, claims({ iat: NOW_S - 600, exp: NOW_S }));
    expectFailure(await strict.verify(token, check()), 'TIME_CONSTRAINT_FAILURE', 'expired');
    const later = await sign(es, claims({ iat: NOW_S - 600, exp: NOW_S + 1 }));
    expectOk(await strict.verify(later, check()), 'main');
  });
});

describe('verified-token cache', () => {
  // That a hit checks no signature is shown in signature-checks.test.ts, which watches node:crypto.
  it('answers a repeated token from the cache', async () => {
    const app = verifierFor([es]);
    const token = await sign(es);
    expect(await app.verify(token, check())).toMatchObject({ ok: true, cached: false });
    expect(await app.verify(token, check())).toEqual({
      ok: true,
      kid: 'main',
      keySource: 'registered',
      subject: 'alice',
      expiresAt: NOW_S + 600,
      cached: true,
    });
  });

  it('still enforces expectedSubject on a hit', async () => {
    const app = verifierFor([es]);
    const token = await sign(es);
    await app.verify(token, check());
    const result = await app.verify(token, check('bob'));
    expectFailure(result, 'IDENTIFIER_MISMATCH', 'subject_mismatch');
    expect(result).toMatchObject({ kid: 'main', subject: 'alice' });
    expect(await app.verify(token, check())).toMatchObject({ ok: true, cached: true });
  });

  it('remembers a valid token first seen with the wrong user, and checks the subject each time', async () => {
    const app = verifierFor([es]);
    const token = await sign(es);
    expectFailure(await app.verify(token, check('bob')), 'IDENTIFIER_MISMATCH', 'subject_mismatch');
    expect(await app.verify(token, check('alice'))).toMatchObject({ ok: true, cached: true });
  });

  it('still enforces exp on a hit (with tolerance), and forgets the token once expired', async () => {
    const app = verifierFor([es]);
    const token = await sign(es);
    await app.verify(token, check());
    const justBefore = new Date((NOW_S + 600 + 59) * 1000);
    expect(await app.verify(token, check('alice', justBefore))).toMatchObject({ ok: true, cached: true });
    const after = new Date((NOW_S + 600 + 61) * 1000);
    expectFailure(await app.verify(token, check('alice', after)), 'TIME_CONSTRAINT_FAILURE', 'expired');
    // Back at NOW (a clock that went backwards), the token is verified afresh, not recalled.
    expect(await app.verify(token, check())).toMatchObject({ ok: true, cached: false });
  });

  it('does not remember failures', async () => {
    const app = verifierFor([es]);
    const early = await sign(es, claims({ nbf: NOW_S + 600 }));
    expectFailure(await app.verify(early, check()), 'TIME_CONSTRAINT_FAILURE', 'not_yet_valid');
    const later = new Date((NOW_S + 601) * 1000);
    expect(await app.verify(early, check('alice', later))).toMatchObject({ ok: true, cached: false });
  });

  // The cache finds an entry by the signature's end and compares the whole token (a hit must be
  // the very token that was verified); these fail if the comparison is dropped or shortened.
  it('a cached token with its payload replaced is verified afresh and refused', async () => {
    for (const key of [es, rsa]) {
      const app = verifierFor([key]);
      const token = await sign(key);
      await app.verify(token, check());
      const [header, , signature] = token.split('.');
      const forged = `${header}.${encodePart(claims({ sub: 'mallory' }))}.${signature}`;
      expectFailure(await app.verify(forged, check('mallory')), 'INVALID_SIGNATURE', 'signature_invalid');
      expect(await app.verify(token, check())).toMatchObject({ ok: true, cached: true });
    }
  });

  it('a cached token with one character changed anywhere is not recalled', async () => {
    const app = verifierFor([es]);
    const token = await sign(es);
    await app.verify(token, check());
    for (const at of [0, token.indexOf('.') + 1, token.length - 23]) {
      const changed = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
      expect(await app.verify(changed, check())).toMatchObject({ ok: false });
    }
  });

  it('cacheSize 0 turns it off', async () => {
    const app = verifierFor([es], {}, 0);
    const token = await sign(es);
    expect(await app.verify(token, check())).toMatchObject({ ok: true, cached: false });
    expect(await app.verify(token, check())).toMatchObject({ ok: true, cached: false });
  });

  it('lives in the verifier: a new verifier starts empty', async () => {
    const token = await sign(es);
    await verifierFor([es]).verify(token, check());
    expect(await verifierFor([es]).verify(token, check())).toMatchObject({ ok: true, cached: false });
  });

  it('is bounded: the least recently used token is dropped', async () => {
    const app = verifierFor([es], {}, 1);
    const first = await sign(es);
    const second = await sign(es, claims({ jti: 'two' }));
    await app.verify(first, check());
    await app.verify(second, check());
    expect(await app.verify(second, check())).toMatchObject({ cached: true });
    expect(await app.verify(first, check())).toMatchObject({ cached: false });
  });
});

describe('keys are imported into WebCrypto once per kid and alg', () => {
  // jose judges every token that is not a yes, so refused tokens are what reach it.
  it('however many tokens jose judges', async () => {
    const app = verifierFor([rsa], {}, 0);
    const stranger = await makeKey('RS256');
    const forged = (alg: string) => sign(withAlg(stranger, alg), claims(), { kid: 'rsa' });
    const [rs1, rs2, rs3, ps] = await Promise.all([
      forged('RS256'),
      forged('RS256'),
      forged('RS256'),
      forged('PS256'),
    ]);
    const importKey = vi.spyOn(crypto.subtle, 'importKey');
    const results = await Promise.all([app.verify(rs1, check()), app.verify(rs2, check())]);
    results.push(await app.verify(rs3, check()));
    for (const result of results) expectFailure(result, 'INVALID_SIGNATURE', 'signature_invalid');
    expect(importKey).toHaveBeenCalledTimes(1);
    expectFailure(await app.verify(ps, check()), 'INVALID_SIGNATURE', 'signature_invalid');
    expect(importKey).toHaveBeenCalledTimes(2);
  });
});

describe('createTokenVerifier refuses bad options', () => {
  const settingsCases: [string, object][] = [
    ['clockToleranceSeconds -1', { clockToleranceSeconds: -1 }],
    ['clockToleranceSeconds 301', { clockToleranceSeconds: 301 }],
    ['clockToleranceSeconds 1.5', { clockToleranceSeconds: 1.5 }],
    ['clockToleranceSeconds "60"', { clockToleranceSeconds: '60' }],
    ['maxTokenLifetimeSeconds 0', { maxTokenLifetimeSeconds: 0 }],
    ['maxTokenLifetimeSeconds -5', { maxTokenLifetimeSeconds: -5 }],
    ['maxTokenLifetimeSeconds NaN', { maxTokenLifetimeSeconds: Number.NaN }],
    ['audience ""', { audience: '' }],
    ['issuer 42', { issuer: 42 }],
  ];
  for (const [name, change] of settingsCases) {
    it(name, () => {
      expect(() =>
        createTokenVerifier({ keys: [es.record], settings: { ...SETTINGS, ...change } as never }),
      ).toThrow(TypeError);
    });
  }

  it('accepts the bounds 0 and 300', () => {
    for (const clockToleranceSeconds of [0, 300]) {
      expect(() =>
        createTokenVerifier({ keys: [], settings: { ...SETTINGS, clockToleranceSeconds } }),
      ).not.toThrow();
    }
  });

  it('a bad cacheSize', () => {
    for (const cacheSize of [-1, 1.5, Number.POSITIVE_INFINITY]) {
      expect(() => createTokenVerifier({ keys: [], settings: SETTINGS, cacheSize })).toThrow(TypeError);
    }
  });

  it('bad keys: duplicate kid, private or symmetric jwk, algorithms that do not fit the key', () => {
    const bad = [
      [es.record, { ...es.record }],
      [{ ...es.record, kid: '' }],
      [{ ...es.record, algorithms: [] }],
      [{ ...es.record, algorithms: ['HS256'] }],
      [{ ...es.record, algorithms: ['ES384'] }],
      [{ ...es.record, algorithms: ['RS256'] }],
      [{ ...rsa.record, algorithms: ['ES256'] }],
      [{ ...es.record, jwk: { ...es.record.jwk, d: 'AAAA' } }],
      [{ kid: 'oct', algorithms: ['HS256'], jwk: { kty: 'oct', k: 'AAAA' } }],
      [{ ...es.record, jwk: null }],
    ];
    for (const keys of bad) {
      expect(
        () => createTokenVerifier({ keys: keys as never, settings: SETTINGS }),
        JSON.stringify(keys),
      ).toThrow(TypeError);
    }
  });

  it('takes a copy: changing the caller objects afterwards changes nothing', async () => {
    const settings = { ...SETTINGS };
    const record = { ...es.record, algorithms: [...es.record.algorithms] };
    const app = createTokenVerifier({ keys: [record], settings });
    settings.audience = 'changed';
    record.kid = 'changed';
    expectOk(await app.verify(await sign(es), check()), 'main');
  });
});
