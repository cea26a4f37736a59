import { sign } from 'node:crypto';
import fc from 'fast-check';

type KeyLike = import('node:crypto').webcrypto.CryptoKey | import('node:crypto').KeyObject;

/*
 * fast-check generators of hostile Authorization headers: arbitrary header text, arbitrary
 * segments, and tokens really signed with the app's key whose header and claims are arbitrary.
 */

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

const anyJson = fc.jsonValue({ maxDepth: 3 });
/** Printable ASCII: what an HTTP header value can carry. */
const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 200,
});
const segment = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map(b64),
  anyJson.map((v) => b64(JSON.stringify(v))),
  headerText,
  fc.constant(''),
);

const timeClaim = fc.oneof(
  fc.integer({ min: -3600, max: 3600 }).map((d) => nowSeconds() + d),
  fc.constantFrom(0, -1, 1e20, Number.MAX_SAFE_INTEGER, 1.5, -0),
  anyJson,
);

/** Header and claims of a token the fuzzer signs with the real key. */
const sometimes = <T>(arb: fc.Arbitrary<T>, oneIn: number) =>
  fc.oneof({ weight: 1, arbitrary: arb }, { weight: oneIn - 1, arbitrary: fc.constant(undefined) });
const usually = <T>(arb: fc.Arbitrary<T>, oneIn: number) =>
  fc.oneof({ weight: oneIn - 1, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(undefined) });

export const signedParts = (user: string, kid: string) =>
  fc.record({
    header: fc.record({
      alg: fc.oneof(
        { weight: 8, arbitrary: fc.constant('ES256') },
        {
          weight: 1,
          arbitrary: fc.oneof(fc.constantFrom('none', 'HS256', 'RS256', 'ES384', 'EdDSA', 'es256'), anyJson),
        },
      ),
      typ: sometimes(
        fc.oneof(
          { weight: 6, arbitrary: fc.constant('JWT') },
          {
            weight: 1,
            arbitrary: fc.oneof(fc.constantFrom('jwt', 'JOSE', 'at+jwt', 'application/jwt'), anyJson),
          },
        ),
        2,
      ),
      kid: usually(
        fc.oneof({ weight: 6, arbitrary: fc.constant(kid) }, { weight: 1, arbitrary: anyJson }),
        5,
      ),
      crit: sometimes(anyJson, 15),
      jku: sometimes(fc.constant('http://127.0.0.1:1/keys'), 10),
      jwk: sometimes(anyJson, 15),
    }),
    claims: fc.record({
      sub: usually(
        fc.oneof(
          { weight: 5, arbitrary: fc.constant(user) },
          {
            weight: 1,
            arbitrary: fc.oneof(fc.constantFrom(`${user} `, user.toUpperCase(), 'other'), anyJson),
          },
        ),
        10,
      ),
      exp: usually(
        fc.oneof(
          { weight: 4, arbitrary: fc.constant(nowSeconds() + 600) },
          { weight: 1, arbitrary: timeClaim },
        ),
        10,
      ),
      nbf: sometimes(timeClaim, 8),
      iat: sometimes(timeClaim, 4),
      aud: sometimes(anyJson, 8),
      iss: sometimes(anyJson, 8),
    }),
    /** Adds own `__proto__` and `constructor.prototype` claims, as an attacker's JSON would. */
    pollute: fc.boolean(),
  });

/** Signs header and claims as given (real ES256 signature over whatever they are). */
export function signAnything(header: unknown, claims: unknown, key: KeyLike, pollute = false): string {
  let payload = JSON.stringify(claims);
  if (pollute) {
    const rest = payload.slice(1);
    payload = `{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}${rest === '}' ? '' : ','}${rest}`;
  }
  const input = `${b64(JSON.stringify(header))}.${b64(payload)}`;
  const signature = sign('sha256', Buffer.from(input), { key: key as never, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64(signature)}`;
}

/** An Authorization header value, from any text to a really signed token with hostile claims. */
export const authorization = (user: string, kid: string, key: KeyLike) =>
  fc.oneof(
    { weight: 1, arbitrary: headerText },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom('Bearer ', 'bearer ', 'Bearer  ', 'Basic ', 'Bearer\t', ''),
          fc.array(segment, { minLength: 0, maxLength: 5 }),
        )
        .map(([scheme, parts]) => `${scheme}${parts.join('.')}`),
    },
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          fc.constantFrom('Bearer ', 'Bearer ', 'Bearer ', 'bearer '),
          signedParts(user, kid),
          fc.constantFrom('', '', '', 'tamper', 'pad'),
        )
        .map(([scheme, parts, twist]) => {
          let token = signAnything(parts.header, parts.claims, key, parts.pollute);
          if (twist === 'tamper') token = `${token.slice(0, -2)}${token.endsWith('A') ? 'B' : 'A'}A`;
          if (twist === 'pad') token = `${token}${'A'.repeat(9000)}`;
          return `${scheme}${token}`;
        }),
    },
  );
