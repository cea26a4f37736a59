import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_RUNS, type FuzzTarget, fuzzTarget, prototypeSnapshot } from '../src/fuzz-target.ts';
import { authorization } from '../src/token-arbitraries.ts';

// The token checks under hostile Authorization headers (fast-check), on an app in `required`
// mode: any header text, any segments, and tokens really signed with the app's key whose header
// and claims are arbitrary. Only a token an independent verifier (jose) also accepts — right
// key and algorithm, sub = the batch's user, unexpired — may store anything; everything else
// is a 4xx that stores nothing and never echoes the token. No 5xx, no prototype change.

const USER = 'user-🦊-42';
let target: FuzzTarget;
beforeAll(async () => {
  target = await fuzzTarget();
});
afterAll(() => target?.close());

const batchText = () =>
  JSON.stringify({
    batchId: randomUUID(),
    sentAt: new Date().toISOString(),
    sdk: { name: 'fuzz', version: '1.0.0' },
    user: { id: USER },
    events: [
      { id: randomUUID(), type: 'track', name: 'a', timestamp: new Date().toISOString() },
      { id: randomUUID(), type: 'track', name: 'b', timestamp: new Date().toISOString() },
    ],
  });

/** Whether jose, independently, accepts the token for USER under the SPEC's rules. */
async function independentlyValid(header: string): Promise<boolean> {
  const match = /^Bearer (\S+)$/i.exec(header);
  if (!match?.[1]) return false;
  try {
    const token = match[1];
    const protectedHeader = decodeProtectedHeader(token);
    if (protectedHeader.kid !== undefined && protectedHeader.kid !== target.kid) return false;
    // RFC 7519 §5.1: "JWT" compared case-insensitively, or its media type.
    const typ = protectedHeader.typ;
    if (
      typ !== undefined &&
      !(typeof typ === 'string' && ['jwt', 'application/jwt'].includes(typ.toLowerCase()))
    )
      return false;
    const { payload } = await jwtVerify(token, target.key.publicKey, {
      algorithms: ['ES256'],
      requiredClaims: ['exp', 'sub'],
      clockTolerance: 60,
    });
    return payload.sub === USER;
  } catch {
    return false;
  }
}

describe('token check fuzzing', () => {
  it(`holds its invariants over ${FUZZ_RUNS} hostile Authorization headers`, async () => {
    const prototypes = prototypeSnapshot();
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(authorization(USER, target.kid, target.key.privateKey), async (header) => {
        const body = batchText();
        const ids = (JSON.parse(body) as { events: { id: string }[] }).events.map((e) => e.id);
        const res = await target.post(target.strictAppId, body, { authorization: header });
        const parsed = JSON.parse(res.body);
        const key =
          res.status === 200 ? '200' : `${res.status} ${parsed.error?.code}/${parsed.error?.reason}`;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        expect(res.status >= 500, res.body).toBe(false);
        const valid = await independentlyValid(header);
        if (res.status === 200) {
          expect(valid, `server accepted a token jose refuses: ${header.slice(0, 300)}`).toBe(true);
          expect(target.storedOf(target.strictAppId, ids)).toBe(2);
        } else {
          expect([400, 401, 413]).toContain(res.status);
          expect(target.storedOf(target.strictAppId, ids)).toBe(0);
          const token = header.replace(/^\S+\s+/, '');
          if (token.length >= 16) expect(res.body).not.toContain(token);
        }
        expect(prototypeSnapshot()).toBe(prototypes);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: FUZZ_RUNS },
    );
    expect(await target.healthy()).toBe(true);
    console.info(
      `RELIABILITY | fuzz tokens | ${FUZZ_RUNS} cases | ${[...outcomes]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k}: ${n}`)
        .join(', ')}`,
    );
  }, 120_000);
});
