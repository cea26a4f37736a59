import { describe, expect, it } from 'vitest';
import { tokenFromAuthorization } from '../src/index.ts';

const missing = { ok: false, code: 'TOKEN_NOT_AVAILABLE', reason: 'missing', kid: null, subject: null };

describe('tokenFromAuthorization', () => {
  it('takes the token of a Bearer header, whatever the scheme case', () => {
    expect(tokenFromAuthorization('Bearer abc.def.ghi')).toEqual({ token: 'abc.def.ghi' });
    expect(tokenFromAuthorization('bearer abc.def.ghi')).toEqual({ token: 'abc.def.ghi' });
    expect(tokenFromAuthorization('BEARER   abc.def.ghi  ')).toEqual({ token: 'abc.def.ghi' });
  });

  it('answers missing for an absent or empty header', () => {
    expect(tokenFromAuthorization(undefined)).toMatchObject(missing);
    expect(tokenFromAuthorization('')).toMatchObject(missing);
    expect(tokenFromAuthorization('   ')).toMatchObject(missing);
  });

  it('answers missing, saying why, for another scheme', () => {
    for (const header of ['Basic dXNlcjpwYXNz', 'Token abc', 'Bearerabc.def.ghi']) {
      expect(tokenFromAuthorization(header)).toEqual({
        ...missing,
        message: 'Authorization header must use the Bearer scheme',
      });
    }
  });

  it('answers missing for Bearer without a token', () => {
    expect(tokenFromAuthorization('Bearer')).toMatchObject(missing);
    expect(tokenFromAuthorization('Bearer   ')).toMatchObject(missing);
  });

  it('passes text with inner spaces on, for the verifier to call malformed', () => {
    expect(tokenFromAuthorization('Bearer a b')).toEqual({ token: 'a b' });
  });
});
