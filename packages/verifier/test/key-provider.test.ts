import { describe, expect, it } from 'vitest';
import { createTokenVerifier, type KeyProvider, type VerificationKey } from '../src/index.ts';
import { claims, makeKey, NOW, NOW_S, SETTINGS, sign, type TestKey, withAlg } from './helpers.ts';

/** A provider over sets the test swaps, counting what the verifier asks of it. */
function providerOf(initial: readonly VerificationKey[] | null) {
  const state = { set: initial, next: initial, currentCalls: 0, refreshCalls: 0 };
  const provider: KeyProvider = {
    async current() {
      state.currentCalls++;
      return state.set;
    },
    async refreshForUnknownKid() {
      state.refreshCalls++;
      state.set = state.next;
      return state.set;
    },
    holds: (kid) => state.set?.some((key) => key.kid === kid) ?? false,
  };
  return { provider, state };
}

const check = (expectedSubject = 'alice') => ({ expectedSubject, now: NOW });
const record = (key: TestKey) => ({
  kid: key.record.kid,
  algorithms: key.record.algorithms,
  jwk: key.record.jwk,
});

describe('keys from a provider (SPEC §4.1)', () => {
  it('verifies with a provider key, registered keys first, and says which kind verified', async () => {
    const registered = await makeKey('ES256', 'own');
    const remote = await makeKey('RS256', 'idp-1');
    const { provider } = providerOf([record(remote)]);
    const verifier = createTokenVerifier({ keys: [registered.record], settings: SETTINGS, provider });
    expect(await verifier.verify(await sign(remote), check())).toMatchObject({
      ok: true,
      kid: 'idp-1',
      keySource: 'provider',
    });
    expect(await verifier.verify(await sign(registered), check())).toMatchObject({
      ok: true,
      kid: 'own',
      keySource: 'registered',
    });
  });

  it('asks for the set again on an unknown kid and uses a key rotated in', async () => {
    const old = await makeKey('ES256', 'old');
    const rotated = await makeKey('ES256', 'new');
    const { provider, state } = providerOf([record(old)]);
    state.next = [record(rotated)];
    const verifier = createTokenVerifier({ keys: [], settings: SETTINGS, provider });
    expect(await verifier.verify(await sign(rotated), check())).toMatchObject({ ok: true, kid: 'new' });
    expect(state.refreshCalls).toBe(1);
  });

  it('answers key_not_found when the kid is still unknown after the refresh', async () => {
    const known = await makeKey('ES256', 'known');
    const stranger = await makeKey('ES256', 'stranger');
    const { provider, state } = providerOf([record(known)]);
    const verifier = createTokenVerifier({ keys: [], settings: SETTINGS, provider });
    expect(await verifier.verify(await sign(stranger), check())).toMatchObject({
      ok: false,
      code: 'INVALID_SIGNATURE',
      reason: 'key_not_found',
    });
    expect(state.refreshCalls).toBe(1);
  });

  it('answers jwks_unavailable (UNKNOWN) when no set could be had, and still verifies registered keys', async () => {
    const registered = await makeKey('ES256', 'own');
    const remote = await makeKey('ES256', 'idp');
    const { provider } = providerOf(null);
    const verifier = createTokenVerifier({ keys: [registered.record], settings: SETTINGS, provider });
    expect(await verifier.verify(await sign(remote), check())).toMatchObject({
      ok: false,
      code: 'UNKNOWN',
      reason: 'jwks_unavailable',
    });
    expect(await verifier.verify(await sign(registered), check())).toMatchObject({ ok: true });
  });

  it("refuses an alg the provider's JWK does not allow", async () => {
    const remote = await makeKey('RS256', 'idp');
    const { provider } = providerOf([{ ...record(remote), algorithms: ['RS256'] }]);
    const verifier = createTokenVerifier({ keys: [], settings: SETTINGS, provider });
    const token = await sign(withAlg(remote, 'PS256'));
    expect(await verifier.verify(token, check())).toMatchObject({
      code: 'HEADER_TYPE_INCOMPATIBLE',
      reason: 'algorithm_not_allowed',
    });
  });

  it('checks a remembered token again once its key has left the set', async () => {
    const remote = await makeKey('ES256', 'idp');
    const { provider, state } = providerOf([record(remote)]);
    const verifier = createTokenVerifier({ keys: [], settings: SETTINGS, provider });
    const token = await sign(remote);
    expect(await verifier.verify(token, check())).toMatchObject({ ok: true, cached: false });
    expect(await verifier.verify(token, check())).toMatchObject({ ok: true, cached: true });
    state.set = [];
    state.next = [];
    expect(await verifier.verify(token, check())).toMatchObject({ ok: false, reason: 'key_not_found' });
  });
});

describe('userIdClaim', () => {
  it('compares the named claim with user.id, with the same reasons as sub', async () => {
    const key = await makeKey('ES256', 'k');
    const verifier = createTokenVerifier({
      keys: [key.record],
      settings: { ...SETTINGS, userIdClaim: 'app_user_id' },
    });
    const token = await sign(key, claims({ sub: 'auth0|123', app_user_id: 'alice' }));
    expect(await verifier.verify(token, check('alice'))).toMatchObject({ ok: true, subject: 'alice' });
    expect(await verifier.verify(token, check('auth0|123'))).toMatchObject({
      code: 'IDENTIFIER_MISMATCH',
      reason: 'subject_mismatch',
      subject: 'alice',
    });
    const without = await sign(key, { sub: 'alice', iat: NOW_S, exp: NOW_S + 600 });
    expect(await verifier.verify(without, check())).toMatchObject({
      code: 'PAYLOAD_CONTENT_MISSING',
      reason: 'sub_missing',
    });
    const numeric = await sign(key, claims({ app_user_id: 42 }));
    expect(await verifier.verify(numeric, check())).toMatchObject({ reason: 'claim_invalid' });
  });

  it('refuses a setting that is no claim name', () => {
    expect(() => createTokenVerifier({ keys: [], settings: { ...SETTINGS, userIdClaim: '' } })).toThrow(
      TypeError,
    );
  });
});
