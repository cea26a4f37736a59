import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  calculateJwkThumbprint,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  generateSecret,
} from 'jose';
import { describe, expect, it } from 'vitest';
import { jwkThumbprint, KeyInvalidError, parsePublicKey } from '../src/index.ts';

function spkiSha256(pem: string): string {
  return createHash('sha256')
    .update(createPublicKey(pem).export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

function refusal(run: () => unknown): KeyInvalidError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(KeyInvalidError);
    return error as KeyInvalidError;
  }
  throw new Error('expected the key to be refused');
}

describe('parsePublicKey accepts', () => {
  const cases = [
    {
      alg: 'RS256',
      options: { modulusLength: 2048 },
      type: 'RSA 2048',
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
    },
    {
      alg: 'RS256',
      options: { modulusLength: 4096 },
      type: 'RSA 4096',
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
    },
    { alg: 'ES256', options: {}, type: 'EC P-256', algorithms: ['ES256'] },
    { alg: 'ES384', options: {}, type: 'EC P-384', algorithms: ['ES384'] },
    { alg: 'ES512', options: {}, type: 'EC P-521', algorithms: ['ES512'] },
    { alg: 'EdDSA', options: {}, type: 'Ed25519', algorithms: ['EdDSA'] },
  ];

  for (const { alg, options, type, algorithms } of cases) {
    it(`${type} as PEM SPKI and as JWK, with kid = RFC 7638 thumbprint and fingerprint = sha256(SPKI DER)`, async () => {
      const { publicKey } = await generateKeyPair(alg, { ...options, extractable: true });
      const pem = await exportSPKI(publicKey);
      const jwk = await exportJWK(publicKey);
      const thumbprint = await calculateJwkThumbprint(jwk, 'sha256');

      const fromPem = parsePublicKey({ pem });
      expect(fromPem).toEqual({
        kid: thumbprint,
        type,
        algorithms,
        jwk: expect.any(Object),
        fingerprint: spkiSha256(pem),
      });
      expect(fromPem.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      // Only public members: no d, no kid, no alg.
      expect(fromPem.jwk).toEqual(jwk);
      expect(Object.keys(fromPem.jwk).sort()).toEqual(Object.keys(jwk).sort());

      expect(parsePublicKey({ jwk })).toEqual(fromPem);
      expect(parsePublicKey({ jwk: JSON.stringify(jwk) })).toEqual(fromPem);
    });
  }

  it('keeps a given kid', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const record = parsePublicKey({ pem: await exportSPKI(publicKey), kid: 'backend-2025' });
    expect(record.kid).toBe('backend-2025');
  });

  it("uses the JWK's own kid, and limits the key to the JWK's alg", async () => {
    const { publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'rsa-1', alg: 'PS256', use: 'sig' };
    const record = parsePublicKey({ jwk });
    expect(record.kid).toBe('rsa-1');
    expect(record.algorithms).toEqual(['PS256']);
    expect(record.jwk).toEqual({ kty: 'RSA', n: jwk.n, e: jwk.e });
    expect(parsePublicKey({ jwk, kid: 'rsa-1' }).kid).toBe('rsa-1');
    expect(refusal(() => parsePublicKey({ jwk, kid: 'other' })).reason).toBe('malformed');
  });

  it('accepts PEM "BEGIN RSA PUBLIC KEY" (PKCS#1)', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    expect(pem).toContain('BEGIN RSA PUBLIC KEY');
    const record = parsePublicKey({ pem });
    expect(record.type).toBe('RSA 2048');
    expect(record.fingerprint).toBe(spkiSha256(publicKey.export({ type: 'spki', format: 'pem' }).toString()));
  });

  it('computes the thumbprint of RFC 8037 appendix A.3', () => {
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
    expect(jwkThumbprint(jwk)).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
    expect(parsePublicKey({ jwk }).kid).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });
});

describe('parsePublicKey refuses', () => {
  it('a private key as PEM PKCS#8 and as traditional PEM, without echoing it', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const pkcs8 = await exportPKCS8(privateKey);
    const error = refusal(() => parsePublicKey({ pem: pkcs8 }));
    expect(error.reason).toBe('private_key');
    expect(error.message).toMatch(/private key/);
    expect(error.message).not.toContain(pkcs8.split('\n')[1]);

    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const traditional = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    expect(traditional).toContain('BEGIN RSA PRIVATE KEY');
    expect(refusal(() => parsePublicKey({ pem: traditional })).reason).toBe('private_key');

    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const sec1 = ec.privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    expect(refusal(() => parsePublicKey({ pem: sec1 })).reason).toBe('private_key');
  });

  it('a private key hidden behind a public one in the same PEM text', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const pem = `${await exportSPKI(publicKey)}\n${await exportPKCS8(privateKey)}`;
    expect(refusal(() => parsePublicKey({ pem })).reason).toBe('private_key');
  });

  it('a private JWK (EC and RSA)', async () => {
    const ec = await generateKeyPair('ES256', { extractable: true });
    const ecJwk = await exportJWK(ec.privateKey);
    const error = refusal(() => parsePublicKey({ jwk: ecJwk }));
    expect(error.reason).toBe('private_key');
    expect(error.message).not.toContain(ecJwk.d);

    const rsa = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const { d: _d, ...withoutD } = await exportJWK(rsa.privateKey);
    // p, q and the CRT members alone give the key away too.
    expect(refusal(() => parsePublicKey({ jwk: withoutD })).reason).toBe('private_key');
  });

  it('a symmetric (oct) JWK', async () => {
    const secret = await generateSecret('HS256', { extractable: true });
    const jwk = await exportJWK(secret);
    const error = refusal(() => parsePublicKey({ jwk }));
    expect(error.reason).toBe('symmetric_key');
    expect(error.message).not.toContain(jwk.k);
  });

  it('RSA 1024 as weak, as PEM and as JWK', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const error = refusal(() => parsePublicKey({ pem }));
    expect(error.reason).toBe('weak_key');
    expect(error.message).toMatch(/1024 bits.*2048/);
    expect(refusal(() => parsePublicKey({ jwk: publicKey.export({ format: 'jwk' }) })).reason).toBe(
      'weak_key',
    );
  });

  it('secp256k1, X25519, Ed448 and DSA as unsupported', () => {
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey;
    expect(
      refusal(() => parsePublicKey({ pem: k1.export({ type: 'spki', format: 'pem' }).toString() })).reason,
    ).toBe('unsupported_key');
    expect(refusal(() => parsePublicKey({ jwk: k1.export({ format: 'jwk' }) })).reason).toBe(
      'unsupported_key',
    );

    const x25519 = generateKeyPairSync('x25519').publicKey;
    expect(
      refusal(() => parsePublicKey({ pem: x25519.export({ type: 'spki', format: 'pem' }).toString() }))
        .reason,
    ).toBe('unsupported_key');
    expect(refusal(() => parsePublicKey({ jwk: x25519.export({ format: 'jwk' }) })).reason).toBe(
      'unsupported_key',
    );

    const ed448 = generateKeyPairSync('ed448').publicKey;
    expect(
      refusal(() => parsePublicKey({ pem: ed448.export({ type: 'spki', format: 'pem' }).toString() })).reason,
    ).toBe('unsupported_key');

    const dsa = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).publicKey;
    expect(
      refusal(() => parsePublicKey({ pem: dsa.export({ type: 'spki', format: 'pem' }).toString() })).reason,
    ).toBe('unsupported_key');
  });

  it('a JWK meant for encryption or carrying an alg of another family', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    expect(refusal(() => parsePublicKey({ jwk: { ...jwk, use: 'enc' } })).reason).toBe('unsupported_key');
    expect(refusal(() => parsePublicKey({ jwk: { ...jwk, alg: 'HS256' } })).reason).toBe('unsupported_key');
    expect(refusal(() => parsePublicKey({ jwk: { ...jwk, alg: 'ES384' } })).reason).toBe('unsupported_key');
  });

  it('garbage as malformed', async () => {
    const garbage = [
      { pem: 'hello' },
      { pem: '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n' },
      { pem: '' },
      { jwk: 'not json' },
      { jwk: [] },
      { jwk: 42 },
      { jwk: {} },
      { jwk: { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' } },
      { jwk: { kty: 'RSA', n: '', e: 'AQAB' } },
      { jwk: { keys: [] } },
    ];
    for (const input of garbage) {
      expect(refusal(() => parsePublicKey(input)).reason, JSON.stringify(input)).toBe('malformed');
    }
  });

  it('a certificate, with a hint rather than a silent extraction', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const error = refusal(() => parsePublicKey({ pem }));
    expect(error.reason).toBe('malformed');
    expect(error.message).toContain('CERTIFICATE');
  });

  it('both pem and jwk, or neither', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    const jwk = await exportJWK(publicKey);
    expect(refusal(() => parsePublicKey({ pem, jwk })).reason).toBe('malformed');
    expect(refusal(() => parsePublicKey({})).reason).toBe('malformed');
  });

  it('a kid that is empty or longer than 128 characters', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    expect(refusal(() => parsePublicKey({ pem, kid: '' })).reason).toBe('malformed');
    expect(refusal(() => parsePublicKey({ pem, kid: 'k'.repeat(129) })).reason).toBe('malformed');
    expect(parsePublicKey({ pem, kid: 'k'.repeat(128) }).kid).toHaveLength(128);
  });
});
