/**
 * Token verification: Signet's verifier against single-threaded raw `crypto.verify` on the same
 * token, per algorithm. Three measures, each a ratio taken in one run with the two sides
 * alternating (A B A B), each side's best of ROUNDS. They are reported, not targets: since the
 * verifier has one engine (jose), what counts is the end-to-end effect on ingestion, measured by
 * bench:ingest's churn-50 scenario (a new token every 50 batches):
 *   - not cached, one call at a time
 *   - not cached, 64 calls in flight
 *   - cached, the same token again            (each call brings its own copy of the token's
 *                                              text, as each request does)
 * "In flight" means kept in flight: a new call starts as each one ends, as requests keep coming
 * to a loaded server. Four figures for reading the results: node:crypto's callback `verify`
 * alone with 64 in flight (the thread-pool side can do no better), jose's own jwtVerify with 64
 * in flight (what WebCrypto's pool gives), SHA-256 of the token alone (a cache keyed by a hash
 * could do no better, which is why Signet's is not keyed so), and the promise round trip alone:
 * a verifier answering a constant at once, called exactly as the cached measure calls Signet's
 * (no cache behind this API can do better).
 *
 *   npm run bench:verify         BENCH_VERIFY_MS=1000 per measure (default 600)
 */
import { createPublicKey, verify as cryptoVerify, hash, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createTokenVerifier, parsePublicKey } from '@signet/verifier';
import { exportSPKI, generateKeyPair, importSPKI, jwtVerify, SignJWT } from 'jose';

const MS = Number(process.env.BENCH_VERIFY_MS ?? 600);
const IN_FLIGHT = 64;
/** Each side's best of this many turns: the machine's noise only ever slows a side down. */
const ROUNDS = 3;
const SETTINGS = { audience: null, issuer: null, clockToleranceSeconds: 60, maxTokenLifetimeSeconds: null };
const root = new URL('..', import.meta.url).pathname;

/**
 * New strings with the token's text, one per call, as each request brings its own: V8 keeps a
 * string's hash in the string, so reusing one object would flatter a cache keyed by the text.
 * Each is a slice of one flat string made once, so making it costs next to nothing.
 */
function freshCopies(token: string): () => string {
  const padded = Buffer.from(` ${token}`).toString();
  return () => padded.slice(1);
}

/** Calls per second of `start`, kept IN_FLIGHT at a time, over about MS milliseconds. */
function inFlight(start: () => Promise<unknown>): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = 0;
    let running = IN_FLIGHT;
    const started = performance.now();
    const next = (): void => {
      if (performance.now() - started < MS) {
        start().then(() => {
          done++;
          next();
        }, reject);
      } else if (--running === 0) {
        resolve(done / ((performance.now() - started) / 1000));
      }
    };
    for (let i = 0; i < IN_FLIGHT; i++) next();
  });
}

/** Calls per second of `run` (which says how many it did) over about MS milliseconds. */
async function rate(run: () => Promise<number> | number): Promise<number> {
  let done = 0;
  const started = performance.now();
  while (performance.now() - started < MS) done += await run();
  return done / ((performance.now() - started) / 1000);
}

/** Raw `crypto.verify` of the token's signature: synchronous, or on the thread pool when asked. */
function rawVerifier(alg: string, key: KeyObject, token: string) {
  const [h, p, s] = token.split('.') as [string, string, string];
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  const hash = alg === 'EdDSA' ? null : 'sha256';
  const options = alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  return {
    sync: () => {
      for (let i = 0; i < 50; i++)
        if (!cryptoVerify(hash, data, options, signature)) throw new Error('raw verify failed');
      return 50;
    },
    onThreadPool: () =>
      new Promise<void>((resolve, reject) =>
        cryptoVerify(hash, data, options, signature, (error, valid) =>
          error || !valid ? reject(error ?? new Error('raw verify failed')) : resolve(),
        ),
      ),
  };
}

async function measure(alg: 'ES256' | 'RS256' | 'EdDSA') {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const pem = await exportSPKI(publicKey);
  const record = parsePublicKey({ pem });
  const token = await new SignJWT({ sub: 'user-1' })
    .setProtectedHeader({ alg, typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
  const uncached = createTokenVerifier({ keys: [record], settings: SETTINGS, cacheSize: 0 });
  const cached = createTokenVerifier({ keys: [record], settings: SETTINGS });
  const check = async (v: typeof uncached, presented = token) => {
    const r = await v.verify(presented, { expectedSubject: 'user-1' });
    if (!r.ok) throw new Error(`${alg}: ${r.code} ${r.reason}`);
  };
  await check(uncached);
  await check(cached);
  const answer = await cached.verify(token, { expectedSubject: 'user-1' });
  const presented = freshCopies(token);
  const answersAtOnce: typeof uncached = { verify: () => Promise.resolve(answer) };
  const raw = rawVerifier(alg, createPublicKey(pem), token);
  const joseKey = await importSPKI(pem, alg);
  // Each side measures itself and gives calls per second.
  const sides = {
    raw: () => rate(raw.sync),
    oneAtATime: () =>
      rate(async () => {
        await check(uncached);
        return 1;
      }),
    concurrent: () => inFlight(() => check(uncached)),
    cached: () =>
      rate(async () => {
        for (let i = 0; i < 100; i++) await check(cached, presented());
        return 100;
      }),
    rawConcurrent: () => inFlight(raw.onThreadPool),
    joseConcurrent: () => inFlight(() => jwtVerify(token, joseKey, { algorithms: [alg] })),
    sha256: () =>
      rate(() => {
        for (let i = 0; i < 100; i++) hash('sha256', token, 'base64url');
        return 100;
      }),
    promiseAlone: () =>
      rate(async () => {
        for (let i = 0; i < 100; i++) await check(answersAtOnce, presented());
        return 100;
      }),
  };
  const best: Record<keyof typeof sides, number> = {
    raw: 0,
    oneAtATime: 0,
    concurrent: 0,
    cached: 0,
    rawConcurrent: 0,
    joseConcurrent: 0,
    sha256: 0,
    promiseAlone: 0,
  };
  const order = [
    'raw',
    'oneAtATime',
    'raw',
    'concurrent',
    'raw',
    'cached',
    'raw',
    'rawConcurrent',
    'joseConcurrent',
    'sha256',
    'promiseAlone',
  ] as const;
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of order) best[name] = Math.max(best[name], await sides[name]());
  }
  const row = {
    alg,
    rawPerSecond: Math.round(best.raw),
    oneAtATimePerSecond: Math.round(best.oneAtATime),
    concurrentPerSecond: Math.round(best.concurrent),
    cachedPerSecond: Math.round(best.cached),
    oneAtATimeRatio: Number((best.oneAtATime / best.raw).toFixed(2)),
    concurrentRatio: Number((best.concurrent / best.raw).toFixed(2)),
    cachedRatio: Number((best.cached / best.raw).toFixed(1)),
    rawConcurrentRatio: Number((best.rawConcurrent / best.raw).toFixed(2)),
    joseConcurrentRatio: Number((best.joseConcurrent / best.raw).toFixed(2)),
    sha256Ratio: Number((best.sha256 / best.raw).toFixed(1)),
    promiseAloneRatio: Number((best.promiseAlone / best.raw).toFixed(1)),
  };
  process.stderr.write(`${alg}: done\n`);
  return row;
}

const rows = [];
for (const alg of ['ES256', 'RS256', 'EdDSA'] as const) rows.push(await measure(alg));
console.table(rows);
writeFileSync(
  `${root}bench/verify-results.json`,
  `${JSON.stringify({ at: new Date().toISOString(), node: process.version, msPerMeasure: MS, rounds: ROUNDS, inFlight: IN_FLIGHT, rows }, null, 2)}\n`,
);
