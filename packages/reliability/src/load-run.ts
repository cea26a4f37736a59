import { readFileSync } from 'node:fs';
import { memoryStorage, Signet, type SignetClient } from '@signet/sdk';
import Database from 'better-sqlite3';
import { decodeProtectedHeader, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { adminCall } from './app-under-test.ts';
import { startReliabilityServer } from './reliability-server.ts';

/** What the sustained-load run measured. */
export interface LoadReport {
  seconds: number;
  clients: number;
  tracked: number;
  stored: number;
  duplicates: number;
  /** Events of the users still allowed that never arrived. */
  lost: number;
  /** Events of the revoked user tracked after the revocation, refused by design. */
  refusedAfterRevocation: number;
  requests: number;
  statuses: Record<string, number>;
  expected401: number;
  unexpected401: number;
  /** 401s by the key that signed the refused token: `rotated-out` (A), `revoked-user` (C), `current` (B). */
  unauthorizedByKey: Record<string, number>;
  /** Expired tokens the app backend handed out, and those the SDK refused locally (never sent). */
  expiredHandedOut: number;
  expiredRefusedLocally: number;
  latencyMs: { p50: number; p99: number; max: number };
  serverRssMb: { first: number; peak: number; last: number };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const rssOf = (pid: number, field: 'VmRSS' | 'VmHWM'): number => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(field));
  return Math.round(Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024);
};

/**
 * Sustained load on a real `signet serve` on a SQLite file, from several real SDK clients, with
 * token churn: 10 % of the tokens handed out are already expired, the signing key is rotated
 * half-way (new key added, old removed), and one user's key is removed a third of the way in.
 * Bounded: `seconds` of tracking at `perSecond` events per client, then a drain of at most 60 s;
 * 127.0.0.1 only.
 *
 * @example
 * const report = await runLoad(db, { seconds: 120, clients: 6, perSecond: 40 });
 */
export async function runLoad(
  db: { url: string; file: string },
  options: { seconds: number; clients: number; perSecond: number },
): Promise<LoadReport> {
  const server = await startReliabilityServer(db.url, { SIGNET_LOG_LEVEL: 'error' });
  const base = server.url;
  const rss: number[] = [];
  const sampler = setInterval(() => {
    try {
      rss.push(rssOf(server.pid, 'VmRSS'));
    } catch {}
  }, 1_000);
  try {
    const appId = (await adminCall(base, 'POST', '/apps', { name: 'soak' })).body.id as string;
    const keys = await Promise.all(
      ['A', 'B', 'C'].map(() => generateKeyPair('ES256', { extractable: true })),
    );
    const [keyA, keyB, keyC] = keys as [(typeof keys)[0], (typeof keys)[0], (typeof keys)[0]];
    const addKey = async (key: typeof keyA) =>
      (await adminCall(base, 'POST', `/apps/${appId}/keys`, { pem: await exportSPKI(key.publicKey) })).body
        .kid as string;
    const kidA = await addKey(keyA);
    const kidC = await addKey(keyC);
    await adminCall(base, 'PUT', `/apps/${appId}/jwt`, { mode: 'required' });
    let signer = { key: keyA, kid: kidA };
    const removed = new Map<string, number>(); // kid → when its removal was sent
    const revokedUser = 'mallory';
    let revokedAt = Number.POSITIVE_INFINITY;
    let handedOut = 0;
    let expiredHandedOut = 0;
    const sign = (sub: string, key: typeof keyA, kid: string, exp: number) =>
      new SignJWT({ sub, iat: Math.floor(Date.now() / 1000) - 1, exp })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid })
        .sign(key.privateKey);
    /** The app backend: every tenth token it hands out is already expired; mallory's is signed with her own key. */
    const tokenProvider = async (user: string) => {
      handedOut++;
      const now = Math.floor(Date.now() / 1000);
      if (handedOut % 10 === 0) {
        expiredHandedOut++;
        return sign(user, signer.key, signer.kid, now - 120);
      }
      if (user === revokedUser) return sign(user, keyC, kidC, now + 90);
      return sign(user, signer.key, signer.kid, now + 90); // 90 s: refreshed 60 s before exp, so often
    };

    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    let expected401 = 0;
    const unauthorizedByKey: Record<string, number> = {};
    let unexpected401 = 0;
    let expiredRefusedLocally = 0;
    const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'].slice(
      0,
      options.clients - 1,
    );
    users.push(revokedUser);
    const clients: { user: string; signet: SignetClient; tracked: number[] }[] = users.map((user) => {
      const signet = Signet.init({
        appId,
        endpoint: base,
        networkRequest: { authorization: { jwtEnabled: true } },
        storage: memoryStorage(),
        tokenProvider,
        flushAt: 20,
        flushIntervalMs: 1_000,
        maxQueueSize: 100_000,
        transport: async (url, init) => {
          const started = performance.now();
          const res = await fetch(url, init);
          const body = await res.json().catch(() => null);
          latencies.push(performance.now() - started);
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status === 401) {
            const kid = decodeProtectedHeader(init.headers.authorization?.slice(7) ?? '').kid as string;
            const label = kid === kidA ? 'rotated-out' : kid === kidC ? 'revoked-user' : 'current';
            unauthorizedByKey[label] = (unauthorizedByKey[label] ?? 0) + 1;
            const removal = removed.get(kid);
            if (removal !== undefined && removal <= Date.now()) expected401++;
            else unexpected401++;
          }
          return { status: res.status, headers: res.headers, json: async () => body };
        },
      });
      // As an app would: on any token failure, get a new token from the backend and pass it.
      signet.registerAuthenticationListener(async (error) => {
        if (error.data.code === 'TIME_CONSTRAINT_FAILURE') expiredRefusedLocally++;
        const token = await tokenProvider(user);
        signet.passAuthenticationDetails({ type: 'jwt', token, userIdentifier: user });
      });
      signet.identify(user);
      return { user, signet, tracked: [] };
    });

    const started = Date.now();
    const end = started + options.seconds * 1000;
    let seq = 0;
    let revoked = false;
    let rotated = false;
    let oldKeyRemoved = false;
    const tickMs = 100;
    const perTick = Math.max(1, Math.round((options.perSecond * tickMs) / 1000));
    while (Date.now() < end) {
      const elapsed = (Date.now() - started) / (options.seconds * 1000);
      if (!revoked && elapsed >= 1 / 3) {
        revoked = true;
        revokedAt = Date.now();
        removed.set(kidC, revokedAt);
        await adminCall(base, 'DELETE', `/apps/${appId}/keys/${kidC}`);
      }
      if (!rotated && elapsed >= 1 / 2) {
        rotated = true;
        signer = { key: keyB, kid: await addKey(keyB) };
      }
      if (rotated && !oldKeyRemoved && elapsed >= 0.55) {
        oldKeyRemoved = true;
        removed.set(kidA, Date.now());
        await adminCall(base, 'DELETE', `/apps/${appId}/keys/${kidA}`);
      }
      for (const client of clients) {
        for (let i = 0; i < perTick; i++) {
          client.signet.track('soak', { n: seq });
          client.tracked.push(seq++);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, tickMs));
    }
    // Drain everyone but the revoked user (whose data cannot be accepted any more), 60 s at most.
    const drainEnd = Date.now() + 60_000;
    for (const client of clients) {
      if (client.user === revokedUser) continue;
      while (client.signet.stats().queued > 0 && Date.now() < drainEnd) {
        client.signet.startNewSession(); // lifts a 10-failure pause left by the rotation, if any
        await client.signet.flush();
        if (client.signet.stats().queued > 0) await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    for (const client of clients) await client.signet.close();

    const reader = new Database(db.file, { readonly: true });
    const rows = reader
      .prepare(
        `select b.user_id as user, json_extract(e.body, '$.properties.n') as n, count(*) as c
         from events e join batches b on b.seq = e.seq / 1024
         where e.app_id = ? and e.type = 'track' group by 1, 2`,
      )
      .all(appId) as { user: string; n: number; c: number }[];
    reader.close();
    const storedBy = new Map(rows.map((r) => [`${r.user}:${r.n}`, r.c]));
    let tracked = 0;
    let lost = 0;
    let refusedAfterRevocation = 0;
    for (const client of clients) {
      for (const n of client.tracked) {
        tracked++;
        if (storedBy.has(`${client.user}:${n}`)) continue;
        if (client.user === revokedUser) refusedAfterRevocation++;
        else lost++;
      }
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      seconds: options.seconds,
      clients: clients.length,
      tracked,
      stored: rows.length,
      duplicates: rows.filter((r) => r.c > 1).length,
      lost,
      refusedAfterRevocation,
      requests: latencies.length,
      statuses,
      expected401,
      unexpected401,
      unauthorizedByKey,
      expiredHandedOut,
      expiredRefusedLocally,
      latencyMs: {
        p50: Math.round(percentile(sorted, 50) * 10) / 10,
        p99: Math.round(percentile(sorted, 99) * 10) / 10,
        max: Math.round((sorted.at(-1) ?? 0) * 10) / 10,
      },
      serverRssMb: { first: rss[0] ?? 0, peak: rssOf(server.pid, 'VmHWM'), last: rss.at(-1) ?? 0 },
    };
  } finally {
    clearInterval(sampler);
    await server.stop();
  }
}
