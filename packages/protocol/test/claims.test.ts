import { describe, expect, it } from 'vitest';
import { type ClaimRules, checkClaims } from '../src/claims.ts';
import { JWT_ERRORS, jwtCodeOf } from '../src/errors.ts';

const NOW = 1_767_225_600;
const RULES: ClaimRules = {
  nowSeconds: NOW,
  clockToleranceSeconds: 60,
  audience: null,
  issuer: null,
  maxTokenLifetimeSeconds: 3600,
  expectedSubject: 'alice',
};
const reason = (claims: unknown, rules: Partial<ClaimRules> = {}) => {
  const verdict = checkClaims(claims, { ...RULES, ...rules });
  return verdict.ok ? 'ok' : verdict.reason;
};

describe('checkClaims: the claim rules the server and the SDK share', () => {
  it('accepts a well-formed token for its user and says who and until when', () => {
    expect(checkClaims({ sub: 'alice', iat: NOW, exp: NOW + 600 }, RULES)).toEqual({
      ok: true,
      subject: 'alice',
      expiresAt: NOW + 600,
    });
  });

  it('answers in jose order when several rules fail: presence, issuer, audience, times, then ours', () => {
    expect(reason({})).toBe('exp_missing');
    expect(reason({ exp: NOW + 60 })).toBe('sub_missing');
    expect(reason({ exp: NOW - 3600 }, { issuer: 'https://id.example' })).toBe('issuer_mismatch');
    expect(reason({ sub: 'bob', exp: 'soon' })).toBe('claim_invalid');
    expect(reason({ sub: 'bob', exp: NOW - 61 })).toBe('expired');
    expect(reason({ sub: 'bob', exp: NOW + 60, nbf: NOW + 61 })).toBe('not_yet_valid');
    expect(reason({ sub: 'alice', exp: NOW + 60, iat: NOW + 61 })).toBe('issued_in_future');
    // biome-ignore lint/correctness/noPrecisionLoss: JSON's 1e400 is Infinity, the case under test.
    expect(reason({ sub: 'alice', exp: NOW + 60, iat: 1e400 })).toBe('claim_invalid');
    expect(reason({ sub: 'bob', exp: NOW + 60 })).toBe('subject_mismatch');
    expect(reason({ sub: '', exp: NOW + 60 })).toBe('claim_invalid');
    expect(reason([])).toBe('claim_invalid');
  });

  it('tolerates the clock difference on exp, nbf and iat, and not a second more', () => {
    expect(reason({ sub: 'alice', exp: NOW - 59 })).toBe('ok');
    expect(reason({ sub: 'alice', exp: NOW - 60 })).toBe('expired');
    expect(reason({ sub: 'alice', exp: NOW + 60, nbf: NOW + 60, iat: NOW + 60 })).toBe('ok');
  });

  it('limits the lifetime: exp − iat, or the time left without iat', () => {
    expect(reason({ sub: 'alice', iat: NOW - 100, exp: NOW + 3500 })).toBe('ok');
    expect(reason({ sub: 'alice', iat: NOW - 100, exp: NOW + 3501 })).toBe('lifetime_too_long');
    expect(reason({ sub: 'alice', exp: NOW + 3601 })).toBe('lifetime_too_long');
    expect(reason({ sub: 'alice', exp: 1e20 }, { maxTokenLifetimeSeconds: null })).toBe('ok');
  });

  it('skips every time rule without a clock (a client that has not learned the server time)', () => {
    expect(reason({ sub: 'alice', exp: 1 }, { nowSeconds: null })).toBe('ok');
    expect(reason({ sub: 'bob', exp: 1 }, { nowSeconds: null })).toBe('subject_mismatch');
  });

  it('files every reason under its registry code', () => {
    for (const [code, reasons] of Object.entries(JWT_ERRORS)) {
      for (const r of reasons) expect(jwtCodeOf(r)).toBe(code);
    }
  });
});
