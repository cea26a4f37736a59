/**
 * Verification as real traffic asks for it: one new token every 50 calls, the other 49 repeat a
 * token already verified (an SDK sends its user's token with every batch). Prints the mean time
 * per call. With BENCH_COMPARE_TREE set to another checkout (with its node_modules), that tree's
 * verifier is measured in the same process, the two taking turns, so machine noise hits both.
 *
 *   npm run bench:verify-churn
 *   BENCH_COMPARE_TREE=/tmp/before npm run bench:verify-churn
 */
import { pathToFileURL } from 'node:url';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';

const CHURN = Number(process.env.BENCH_CHURN ?? 50);
const CALLS = 20_000; // a multiple of every churn tried
const ROUNDS = 6;
const root = new URL('..', import.meta.url).pathname;

interface VerifierModule {
  parsePublicKey(input: { pem: string }): { kid: string; algorithms: string[]; jwk: object };
  createTokenVerifier(options: { keys: unknown[]; settings: unknown }): {
    verify(token: string, check: { expectedSubject: string }): Promise<{ ok: boolean }>;
  };
}

const { publicKey, privateKey } = await generateKeyPair('ES256');
const pem = await exportSPKI(publicKey);
const settings = {
  audience: null,
  issuer: null,
  clockToleranceSeconds: 60,
  maxTokenLifetimeSeconds: 2_592_000,
};
const tokens = await Promise.all(
  Array.from({ length: (CALLS / CHURN) * ROUNDS }, (_, i) =>
    new SignJWT({ sub: 'user-1', jti: String(i) })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey),
  ),
);

async function verifierOf(tree: string) {
  const module = (await import(
    pathToFileURL(`${tree}/packages/verifier/src/index.ts`).href
  )) as VerifierModule;
  return module.createTokenVerifier({ keys: [module.parsePublicKey({ pem })], settings });
}

const trees = [root, ...(process.env.BENCH_COMPARE_TREE ? [process.env.BENCH_COMPARE_TREE] : [])];
const verifiers = await Promise.all(trees.map(verifierOf));
const times = trees.map(() => [] as number[]);
for (let round = 0; round < ROUNDS; round++) {
  for (const [i, verifier] of verifiers.entries()) {
    const started = process.hrtime.bigint();
    for (let call = 0; call < CALLS; call++) {
      // Each call brings its own copy of the text, as each request does.
      const token = `${tokens[round * (CALLS / CHURN) + Math.floor(call / CHURN)]} `.trimEnd();
      const result = await verifier.verify(token, { expectedSubject: 'user-1' });
      if (!result.ok) throw new Error('a valid token was refused');
    }
    times[i]?.push(Number(process.hrtime.bigint() - started) / CALLS / 1000);
  }
}
for (const [i, tree] of trees.entries()) {
  const sorted = [...(times[i] as number[])].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  console.log(
    `${tree}: median ${median.toFixed(2)} µs per call (1 new token per ${CHURN}; rounds: ${sorted.map((t) => t.toFixed(2)).join(' ')})`,
  );
}
