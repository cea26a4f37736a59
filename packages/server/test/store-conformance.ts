import type { JsonValue, JwtSettings } from '@signet/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  AuditToAppend,
  BatchToStore,
  EventToStore,
  FailureToKeep,
  KeyRow,
  Store,
} from '../src/store/store.ts';
import type { WrittenGroup } from '../src/store/written-group.ts';
import type { Backend, OpenedBackend } from './backends.ts';

/*
 * What every storage backend must do, through the Store interface only: the same suite runs on
 * each backend (store-sqlite.test.ts, store-postgres.test.ts), as Kysely runs one suite per
 * dialect. A new backend passes this suite before anything else runs on it.
 */

const JWT: JwtSettings = {
  mode: 'disabled',
  audience: null,
  issuer: null,
  clockToleranceSeconds: 60,
  maxTokenLifetimeSeconds: 2_592_000,
  jwksUrl: null,
  discovery: false,
  userIdClaim: 'sub',
};
const T0 = Date.UTC(2026, 10, 28, 9, 15);

const key = (kid: string): KeyRow => ({
  kid,
  label: null,
  type: 'EC P-256',
  algorithms: ['ES256'],
  jwk: { kty: 'EC', crv: 'P-256', x: kid, y: kid },
  fingerprint: kid.padEnd(64, '0'),
  createdAt: T0,
  lastUsedAt: null,
  useCount: 0,
});

const track = (id: string): EventToStore => ({
  id,
  type: 'track',
  name: 'Viewed',
  sessionId: null,
  body: JSON.stringify({ id, type: 'track', name: 'Viewed', timestamp: new Date(T0).toISOString() }),
});

const attrs = (id: string, attributes: Record<string, JsonValue>): EventToStore => ({
  ...track(id),
  type: 'attributes',
  name: null,
  attributes,
});

const alias = (id: string, anonymousId: string): EventToStore => ({
  ...track(id),
  type: 'alias',
  name: null,
  aliasOf: anonymousId,
});

const batch = (events: EventToStore[], extra: Partial<BatchToStore> = {}): BatchToStore => ({
  appId: 'app_1',
  batchId: 'b1',
  receivedAt: T0,
  userId: 'u1',
  anonymousId: null,
  sdkName: 'test',
  sdkVersion: '1',
  verified: true,
  events,
  outcome: { outcome: 'verified', code: null, reason: null },
  keyUsed: null,
  failure: null,
  ...extra,
});

const unverified = {
  verified: false,
  outcome: { outcome: 'unverified' as const, code: 'INVALID_SIGNATURE', reason: 'signature_invalid' },
};

/** A failure row that breaks a NOT NULL constraint: the batch fails after its events were written. */
const brokenFailure: FailureToKeep = {
  mode: 'optional',
  code: null as unknown as string,
  reason: 'x',
  kid: null,
  subject: null,
  userId: 'u1',
  sdkName: null,
  sdkVersion: null,
};

const ids = async (store: Store, query: { userId?: string } = {}) =>
  (await store.listEvents('app_1', { ...query, limit: 1000 })).map((e) => JSON.parse(e.body).id as string);

/** The store conformance suite, for one backend. */
export function describeStoreConformance(backend: Backend): void {
  describe.skipIf(backend.unavailable !== null)(`store conformance: ${backend.name}`, () => {
    let opened: OpenedBackend;
    let store: Store;

    beforeEach(async () => {
      opened = await backend.open();
      store = opened.store;
      await store.migrate();
      await store.createApp({ id: 'app_1', name: 'One', jwt: JWT, createdAt: T0, updatedAt: T0 });
    });
    afterEach(() => opened.cleanup());

    describe('lifecycle and registry', () => {
      it('migrates idempotently and answers a ping', async () => {
        await store.migrate();
        await store.ping();
        expect((await store.listApps()).map((a) => a.id)).toEqual(['app_1']);
      });

      it('keeps the first value of a setting', async () => {
        expect(await store.putSettingIfAbsent('k', 'first')).toBe('first');
        expect(await store.putSettingIfAbsent('k', 'second')).toBe('first');
        expect(await store.getSetting('k')).toBe('first');
        expect(await store.getSetting('missing')).toBeNull();
      });

      it('moves an app version on every change to its settings or keys', async () => {
        const v0 = (await store.appVersions()).get('app_1') as number;
        await store.addKey('app_1', key('k1'), 5);
        const v1 = (await store.appVersions()).get('app_1') as number;
        await store.updateJwtSettings('app_1', { ...JWT, mode: 'optional' }, T0);
        const v2 = (await store.appVersions()).get('app_1') as number;
        await store.removeKey('app_1', 'k1', T0);
        const v3 = (await store.appVersions()).get('app_1') as number;
        expect(v0).toBeLessThan(v1);
        expect(v1).toBeLessThan(v2);
        expect(v2).toBeLessThan(v3);
        expect((await store.getApp('app_1'))?.updatedAt).toBe(v3);
      });

      it('reads and updates apps', async () => {
        expect(await store.getApp('nope')).toBeNull();
        await store.addKey('app_1', key('k1'), 5);
        const updated = await store.updateJwtSettings(
          'app_1',
          { ...JWT, mode: 'required', audience: 'a' },
          T0 + 1,
        );
        expect(updated).toMatchObject({ id: 'app_1', jwt: { mode: 'required', audience: 'a' } });
        expect((await store.getApp('app_1'))?.jwt.mode).toBe('required');
        expect(await store.updateJwtSettings('nope', JWT, T0)).toBe('no_app');
      });

      it('refuses required without keys', async () => {
        expect(await store.updateJwtSettings('app_1', { ...JWT, mode: 'required' }, T0)).toBe('no_keys');
      });

      it('keeps the identity provider settings, and lets a provider stand in for keys (SPEC §4.1)', async () => {
        const viaUrl = {
          ...JWT,
          mode: 'required' as const,
          issuer: 'https://idp.example/',
          jwksUrl: 'https://idp.example/.well-known/jwks.json',
          userIdClaim: 'app_user_id',
        };
        const updated = await store.updateJwtSettings('app_1', viaUrl, T0);
        expect(updated).toMatchObject({ jwt: viaUrl });
        expect((await store.getApp('app_1'))?.jwt).toEqual(viaUrl);
        const viaDiscovery = { ...viaUrl, jwksUrl: null, discovery: true };
        await store.updateJwtSettings('app_1', viaDiscovery, T0 + 1);
        expect((await store.getApp('app_1'))?.jwt).toEqual(viaDiscovery);
        expect((await store.listApps()).find((a) => a.id === 'app_1')?.jwt).toEqual(viaDiscovery);

        // With a provider the last key may go while required; without one, required needs a key.
        expect(await store.addKey('app_1', key('k1'), 5)).toBe('added');
        expect(await store.removeKey('app_1', 'k1', T0 + 2)).toBe('removed');
        expect(await store.updateJwtSettings('app_1', { ...viaDiscovery, discovery: false }, T0 + 3)).toBe(
          'no_keys',
        );
        expect((await store.getApp('app_1'))?.jwt).toEqual(viaDiscovery);
      });

      it('adds keys up to the limit, refuses duplicates, guards the last key', async () => {
        expect(await store.addKey('app_1', key('k1'), 2)).toBe('added');
        expect(await store.addKey('app_1', key('k1'), 2)).toBe('exists');
        expect(await store.addKey('app_1', key('k2'), 2)).toBe('added');
        expect(await store.addKey('app_1', key('k3'), 2)).toBe('limit');
        expect(await store.addKey('nope', key('k1'), 2)).toBe('no_app');
        expect((await store.listKeys('app_1')).map((k) => k.kid)).toEqual(['k1', 'k2']);

        await store.updateJwtSettings('app_1', { ...JWT, mode: 'required' }, T0);
        expect(await store.removeKey('app_1', 'k1', T0)).toBe('removed');
        expect(await store.removeKey('app_1', 'k2', T0)).toBe('last_key');
        expect(await store.removeKey('app_1', 'k9', T0)).toBe('not_found');
        await store.updateJwtSettings('app_1', { ...JWT, mode: 'optional' }, T0);
        expect(await store.removeKey('app_1', 'k2', T0)).toBe('removed');
      });

      it('keeps admin sessions until they end or expire', async () => {
        await store.createAdminSession('h1', T0, T0 + 1_000);
        await store.createAdminSession('h2', T0, T0 + 5_000);
        expect(await store.adminSessionActive('h1', T0 + 999)).toBe(true);
        expect(await store.adminSessionActive('h1', T0 + 1_000)).toBe(false);
        expect(await store.adminSessionActive('nope', T0)).toBe(false);
        await store.deleteAdminSession('h2');
        await store.deleteAdminSession('h2');
        expect(await store.adminSessionActive('h2', T0)).toBe(false);
        await store.createAdminSession('h3', T0, T0 + 2_000);
        expect(await store.purgeExpiredAdminSessions(T0 + 1_500)).toBe(1);
        expect(await store.adminSessionActive('h3', T0 + 1_500)).toBe(true);
      });
    });

    describe('ingestion', () => {
      it('stores a batch once, counting duplicates, and moves the key usage', async () => {
        await store.addKey('app_1', key('k1'), 5);
        const first = await store.storeBatch(batch([track('e1'), track('e2')], { keyUsed: 'k1' }));
        expect(first).toEqual({ accepted: 2, duplicates: 0 });
        const again = await store.storeBatch(
          batch([track('e2'), track('e3'), track('e3')], { keyUsed: 'k1' }),
        );
        expect(again).toEqual({ accepted: 1, duplicates: 2 });
        const events = await store.listEvents('app_1', { limit: 10 });
        expect(events.map((e) => JSON.parse(e.body).id)).toEqual(['e3', 'e2', 'e1']);
        expect(events[0]).toMatchObject({ userId: 'u1', verified: true, receivedAt: T0 });
        expect((await store.listKeys('app_1'))[0]).toMatchObject({ useCount: 2, lastUsedAt: T0 });
        // The batches count the events they stored; a re-sent batch stores no batch of its own.
        await store.storeBatch(batch([track('e1'), track('e3')], { keyUsed: 'k1', sdkVersion: '9' }));
        expect(await store.eventsPerMinute('app_1', T0)).toEqual([{ minute: T0, events: 3 }]);
        expect(await store.sdkVersions('app_1', T0)).toEqual([
          { name: 'test', version: '1', events: 3, lastSeen: T0 },
        ]);
      });

      it('stores concurrent copies of one batch once, and concurrent first batches of a user', async () => {
        const a = [track('c1'), track('c2'), track('c3')];
        const b = [track('c4')];
        const results = await Promise.all([
          store.storeBatch(batch(a)),
          store.storeBatch(batch(a)),
          store.storeBatch(batch(b)),
          store.storeBatch(batch(a)),
        ]);
        expect(results.reduce((n, r) => n + r.accepted, 0)).toBe(4);
        expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(6);
        expect((await store.listEvents('app_1', { limit: 10 })).length).toBe(4);
        expect((await store.authStats('app_1', 0))[0]).toMatchObject({
          outcome: 'verified',
          batches: 4,
          events: 10,
        });
      });

      it('filters events by user and limits the page', async () => {
        await store.storeBatch(batch([track('a1'), track('a2')], { userId: 'alice' }));
        await store.storeBatch(batch([track('b1')], { userId: 'bob' }));
        expect((await store.listEvents('app_1', { userId: 'alice', limit: 10 })).length).toBe(2);
        expect((await store.listEvents('app_1', { limit: 1 })).map((e) => e.userId)).toEqual(['bob']);
      });

      it('stores nothing of a batch that fails half-way (atomic)', async () => {
        await expect(
          store.storeBatch(batch([track('y1'), attrs('y2', { plan: 'pro' })], { failure: brokenFailure })),
        ).rejects.toThrow();
        expect(await store.listEvents('app_1', { limit: 10 })).toEqual([]);
        expect(await store.getUser('app_1', 'u1')).toBeNull();
        expect(await store.authStats('app_1', 0)).toEqual([]);
      });

      it('stores concurrent batches independently: one failing leaves the others whole', async () => {
        const results = await Promise.allSettled([
          store.storeBatch(batch([track('g1'), track('g2')])),
          store.storeBatch(batch([track('f1'), track('f2')], { failure: brokenFailure })),
          store.storeBatch(batch([track('g3')])),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect((await ids(store)).sort()).toEqual(['g1', 'g2', 'g3']);
        expect((await store.authStats('app_1', 0))[0]).toMatchObject({ batches: 2, events: 3 });
      });

      it('merges attributes of new events only, in batch order', async () => {
        await store.storeBatch(batch([attrs('a1', { plan: 'free', n: 1 }), attrs('a2', { plan: 'pro' })]));
        await store.storeBatch(
          batch([attrs('a1', { plan: 'free' }), attrs('a3', { __proto__: 'x' })], { receivedAt: T0 + 5 }),
        );
        const user = await store.getUser('app_1', 'u1');
        expect(user).toMatchObject({ userId: 'u1', firstSeen: T0, lastSeen: T0 + 5 });
        expect(user?.attributes).toEqual({ plan: 'pro', n: 1 });
        expect(await store.getUser('app_1', 'nobody')).toBeNull();
      });

      it('keeps attribute values that are JSON text but not valid in every database type', async () => {
        // NUL and a lone surrogate: stored escaped in the profile's JSON text, as sent.
        const odd = { nul: 'a\u0000b', surrogate: '\ud800', 'key\u0000': 1 };
        expect(await store.storeBatch(batch([attrs('o1', odd)]))).toEqual({ accepted: 1, duplicates: 0 });
        expect((await store.getUser('app_1', 'u1'))?.attributes).toEqual(odd);
      });

      it('scopes event ids to their sender: nobody else pre-claims a verified event', async () => {
        // Each claims alice's next ids first: anonymously, as another verified user, and as
        // alice without a valid token (track and attributes events alike).
        const claims = [
          batch([track('x1')], { userId: null, anonymousId: 'anon-1', verified: null }),
          batch([track('x2')], { userId: 'mallory' }),
          batch([track('x3'), attrs('x4', { email: 'attacker@example.com' })], {
            ...unverified,
            userId: 'alice',
          }),
        ];
        for (const claim of claims) {
          expect(await store.storeBatch(claim)).toEqual({ accepted: claim.events.length, duplicates: 0 });
        }
        const alice = batch(
          [track('x1'), track('x2'), track('x3'), attrs('x4', { email: 'alice@example.com' })],
          { userId: 'alice' },
        );
        expect(await store.storeBatch(alice)).toEqual({ accepted: 4, duplicates: 0 });
        // A true re-send by each sender is a duplicate, never stored twice.
        expect(await store.storeBatch(alice)).toEqual({ accepted: 0, duplicates: 4 });
        for (const claim of claims) {
          expect(await store.storeBatch(claim)).toEqual({ accepted: 0, duplicates: claim.events.length });
        }
        const rows = await store.listEvents('app_1', { userId: 'alice', limit: 100 });
        expect(rows.filter((r) => r.verified === true)).toHaveLength(4);
        expect(rows.filter((r) => r.verified === false)).toHaveLength(2);
        expect(await store.listEvents('app_1', { limit: 100 })).toHaveLength(4 + 4);
        expect((await store.getUser('app_1', 'alice'))?.attributes).toEqual({ email: 'alice@example.com' });
      });

      it('keeps unverified attributes apart from the verified profile', async () => {
        await store.storeBatch(batch([attrs('v1', { email: 'alice@example.com', plan: 'pro' })]));
        await store.storeBatch(
          batch([attrs('u1', { email: 'attacker@example.com' })], {
            verified: false,
            outcome: { outcome: 'unverified', code: 'TOKEN_NOT_AVAILABLE', reason: 'missing' },
          }),
        );
        // Not checked (mode disabled) is not verified either.
        await store.storeBatch(batch([attrs('n1', { plan: 'free', lang: 'fr' })], { verified: null }));
        const user = await store.getUser('app_1', 'u1');
        expect(user?.attributes).toEqual({ email: 'alice@example.com', plan: 'pro' });
        expect(user?.unverifiedAttributes).toEqual({
          email: 'attacker@example.com',
          plan: 'free',
          lang: 'fr',
        });
      });

      it('stores alias and page events like any other, once per sender', async () => {
        const page: EventToStore = { ...track('p1'), type: 'page', name: null };
        const sent = batch([alias('l1', 'anon-1'), page, alias('l2', 'anon-1')]);
        expect(await store.storeBatch(sent)).toEqual({ accepted: 3, duplicates: 0 });
        expect(await store.storeBatch(sent)).toEqual({ accepted: 0, duplicates: 3 });
        expect((await ids(store)).sort()).toEqual(['l1', 'l2', 'p1']);
      });

      it('counts outcomes per hour and keeps the newest failures only', async () => {
        const failure = {
          mode: 'required',
          code: 'INVALID_SIGNATURE',
          reason: 'signature_invalid',
          kid: 'k',
          subject: 's',
          userId: 'u1',
          sdkName: null,
          sdkVersion: null,
        };
        const outcome = {
          outcome: 'rejected' as const,
          code: 'INVALID_SIGNATURE',
          reason: 'signature_invalid',
        };
        for (let i = 0; i < 1003; i++) {
          await store.recordRejection({
            appId: 'app_1',
            at: T0 + i,
            events: 2,
            outcome,
            failure: { ...failure, subject: `s${i}` },
          });
        }
        await store.storeBatch(batch([track('v1')]));
        const stats = await store.authStats('app_1', T0 - 3_600_000);
        const hour = Date.UTC(2026, 10, 28, 9);
        expect(stats).toEqual([
          {
            hour,
            outcome: 'rejected',
            code: 'INVALID_SIGNATURE',
            reason: 'signature_invalid',
            batches: 1003,
            events: 2006,
          },
          { hour, outcome: 'verified', code: null, reason: null, batches: 1, events: 1 },
        ]);
        const failures = await store.authFailures('app_1', 5000);
        expect(failures.length).toBe(1000);
        expect(failures[0]?.subject).toBe('s1002');
        expect(failures.at(-1)?.subject).toBe('s3');
      });
    });

    describe('group commit', () => {
      const verifiedBy = (userId: string, events: EventToStore[]) =>
        batch(events, { userId, batchId: `b-${userId}`, keyUsed: 'k1' });

      beforeEach(async () => {
        await store.addKey('app_1', key('k1'), 5);
      });

      it('answers each batch of a group with its own counts, sharing duplicates correctly', async () => {
        const shared = [track('s1'), track('s2')];
        const results = await Promise.all([
          store.storeBatch(verifiedBy('alice', [...shared, track('a1')])),
          // Concurrent: these go in one group (PostgreSQL: the next, after alice's). Ids are unique
          // per sender: alice's x1 is new though bob sends x1 in the same group, while bob repeating
          // his own x1 in the group and carol repeating c1 within her batch are duplicates.
          store.storeBatch(verifiedBy('bob', [track('b1'), track('x1')])),
          store.storeBatch(verifiedBy('alice', [...shared, track('x1')])),
          store.storeBatch(verifiedBy('carol', [track('c1'), track('c1')])),
          store.storeBatch(verifiedBy('bob', [track('x1')])),
        ]);
        expect(results).toEqual([
          { accepted: 3, duplicates: 0 },
          { accepted: 2, duplicates: 0 },
          { accepted: 1, duplicates: 2 },
          { accepted: 1, duplicates: 1 },
          { accepted: 0, duplicates: 1 },
        ]);
        expect(await store.authStats('app_1', 0)).toEqual([
          expect.objectContaining({ outcome: 'verified', batches: 5, events: 11 }),
        ]);
        expect((await store.listKeys('app_1'))[0]).toMatchObject({ useCount: 5, lastUsedAt: T0 });
        expect((await store.getUser('app_1', 'carol'))?.lastSeen).toBe(T0);
      });

      it('tells its listeners of each group: the records that shared it and how long it held the writer', async () => {
        const groups: WrittenGroup[] = [];
        const stop = store.onGroupWritten((group) => groups.push(group));
        const throwing = store.onGroupWritten(() => {
          throw new Error('a broken listener');
        });
        const started = performance.now();
        await Promise.all([
          store.storeBatch(verifiedBy('alice', [track('g1')])),
          store.storeBatch(verifiedBy('bob', [track('g2'), track('g3')])),
          store.storeBatch(verifiedBy('carol', [track('g4')])),
        ]);
        const elapsedSeconds = (performance.now() - started) / 1000;
        // Every record in exactly one group; a listener that throws changes nothing for the others.
        expect(groups.reduce((sum, g) => sum + g.records, 0)).toBe(3);
        expect(groups.length).toBeGreaterThanOrEqual(1);
        expect(groups.length).toBeLessThanOrEqual(3);
        for (const group of groups) {
          expect(group.seconds).toBeGreaterThan(0);
          expect(group.seconds).toBeLessThanOrEqual(elapsedSeconds);
          if (backend.name === 'postgres') expect(group.commitSeconds).toBeNull();
          else {
            expect(group.commitSeconds).toBeGreaterThan(0);
            expect(group.commitSeconds).toBeLessThanOrEqual(group.seconds);
          }
        }
        stop();
        throwing();
        await store.storeBatch(verifiedBy('dave', [track('g5')]));
        expect(groups.reduce((sum, g) => sum + g.records, 0)).toBe(3);
      });

      it('stores the good batches of a group and nothing of one that failed half-way', async () => {
        const results = await Promise.allSettled([
          store.storeBatch(verifiedBy('dave', [track('d1')])),
          store.storeBatch(
            verifiedBy('eve', [
              track('e1'),
              attrs('e2', { plan: 'x' }),
              backend.unwritableEvent(track('e3')),
            ]),
          ),
          store.storeBatch(verifiedBy('frank', [track('f1'), track('f2')])),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect(results[0]).toMatchObject({ value: { accepted: 1, duplicates: 0 } });
        expect(results[2]).toMatchObject({ value: { accepted: 2, duplicates: 0 } });
        const stored = await ids(store);
        expect(stored).toEqual(expect.arrayContaining(['d1', 'f1', 'f2']));
        expect(stored).not.toContain('e1');
        // Counted once each, though the group may have been written twice (together, then one by one).
        expect(await store.authStats('app_1', 0)).toEqual([expect.objectContaining({ batches: 2 })]);
        expect((await store.listKeys('app_1'))[0]?.useCount).toBe(2);
        expect(await store.getUser('app_1', 'eve')).toBeNull();
      });

      it("merges a group's attributes in batch order, new events only, each into its own column", async () => {
        const results = await Promise.allSettled([
          store.storeBatch(verifiedBy('alice', [attrs('a1', { plan: 'free', n: 1 })])),
          store.storeBatch(
            verifiedBy('alice', [attrs('a1', { plan: 'resent' }), attrs('a2', { plan: 'pro' })]),
          ),
          store.storeBatch(
            batch([attrs('a1', { email: 'claimed@example.com' })], { ...unverified, userId: 'alice' }),
          ),
          store.storeBatch(
            verifiedBy('alice', [attrs('a9', { evil: true }), backend.unwritableEvent(track('a10'))]),
          ),
          store.storeBatch(
            verifiedBy('alice', [track('t1'), alias('l1', 'anon-1'), attrs('a3', { lang: 'fr' })]),
          ),
          store.storeBatch(verifiedBy('bob', [attrs('a1', { plan: 'bob' })])),
        ]);
        expect(results.map((r) => (r.status === 'fulfilled' ? r.value : r.status))).toEqual([
          { accepted: 1, duplicates: 0 },
          { accepted: 1, duplicates: 1 },
          { accepted: 1, duplicates: 0 },
          'rejected',
          { accepted: 3, duplicates: 0 },
          { accepted: 1, duplicates: 0 },
        ]);
        const alice = await store.getUser('app_1', 'alice');
        expect(alice?.attributes).toEqual({ plan: 'pro', n: 1, lang: 'fr' });
        expect(alice?.unverifiedAttributes).toEqual({ email: 'claimed@example.com' });
        expect((await store.getUser('app_1', 'bob'))?.attributes).toEqual({ plan: 'bob' });
      });

      it('counts rejections and keeps failures of a group with its batches', async () => {
        const failure = (subject: string): FailureToKeep => ({
          mode: 'optional',
          code: 'INVALID_SIGNATURE',
          reason: 'signature_invalid',
          kid: null,
          subject,
          userId: subject,
          sdkName: 'test',
          sdkVersion: '1',
        });
        const rejected = { outcome: 'rejected' as const, code: 'EXPIRED', reason: 'expired' };
        await Promise.all([
          store.storeBatch(batch([track('o1')], { ...unverified, failure: failure('kept-1') })),
          store.recordRejection({
            appId: 'app_1',
            at: T0,
            events: 3,
            outcome: rejected,
            failure: { ...failure('refused-1'), mode: 'required', code: 'EXPIRED', reason: 'expired' },
          }),
          store.storeBatch(batch([track('o2')])),
          store.recordRejection({
            appId: 'app_1',
            at: T0 + 1,
            events: 4,
            outcome: rejected,
            failure: { ...failure('refused-2'), mode: 'required', code: 'EXPIRED', reason: 'expired' },
          }),
        ]);
        const stats = await store.authStats('app_1', 0);
        expect(stats.map((s) => [s.outcome, s.batches, s.events])).toEqual([
          ['rejected', 2, 7],
          ['unverified', 1, 1],
          ['verified', 1, 1],
        ]);
        // Concurrent calls have no order among themselves: compared as sets.
        const subjects = async (code?: string) =>
          (await store.authFailures('app_1', 10, code)).map((f) => f.subject).sort();
        expect(await subjects()).toEqual(['kept-1', 'refused-1', 'refused-2']);
        expect(await subjects('EXPIRED')).toEqual(['refused-1', 'refused-2']);
      });

      it('keeps the newest failures when one group brings many', async () => {
        const outcome = { outcome: 'rejected' as const, code: 'EXPIRED', reason: 'expired' };
        const failure = (i: number): FailureToKeep => ({
          mode: 'required',
          code: 'EXPIRED',
          reason: 'expired',
          kid: null,
          subject: `s${i}`,
          userId: null,
          sdkName: null,
          sdkVersion: null,
        });
        const reject = (i: number) =>
          store.recordRejection({ appId: 'app_1', at: T0 + i, events: 1, outcome, failure: failure(i) });
        for (let i = 0; i < 10; i++) await reject(i);
        await Promise.all(Array.from({ length: 1200 }, (_, i) => reject(10 + i)));
        const failures = await store.authFailures('app_1', 5000);
        expect(failures.length).toBe(1000);
        // The ten stored before are the oldest, so gone; the concurrent ones have no order.
        expect(failures.filter((f) => Number(f.subject?.slice(1)) < 10)).toEqual([]);
        expect((await store.authStats('app_1', 0))[0]).toMatchObject({ batches: 1210, events: 1210 });
      });
    });

    describe('app deletion and erasure', () => {
      const fillApp = async (appId: string) => {
        await store.addKey(appId, key('k1'), 5);
        await store.storeBatch(
          batch(
            [track(`${appId}-t1`), attrs(`${appId}-a1`, { plan: 'pro' }), alias(`${appId}-l1`, 'anon-1')],
            {
              appId,
              userId: 'alice',
            },
          ),
        );
        await store.storeBatch(
          batch([track(`${appId}-t2`)], {
            appId,
            userId: 'bob',
            ...unverified,
            failure: { ...brokenFailure, code: 'EXPIRED', subject: 'bob', userId: 'bob' },
          }),
        );
      };

      it('deletes an app with everything of it, in chunks, and leaves other apps whole', async () => {
        await store.createApp({ id: 'app_2', name: 'Two', jwt: JWT, createdAt: T0, updatedAt: T0 });
        await fillApp('app_1');
        await fillApp('app_2');
        // More events than one purge chunk holds.
        const many = Array.from({ length: 5_100 }, (_, i) => track(`m${i}`));
        await store.storeBatch(batch(many, { userId: 'carol', batchId: 'big' }));
        const v0 = (await store.appVersions()).get('app_1');
        expect(v0).toBeDefined();

        expect(await store.deleteApp('app_1', T0 + 1)).toEqual({
          events: 5_104,
          profiles: 3,
          aliases: 1,
          failures: 1,
          outcomes: 2,
        });
        expect(await store.getApp('app_1')).toBeNull();
        expect((await store.appVersions()).has('app_1')).toBe(false);
        expect(await store.listKeys('app_1')).toEqual([]);
        expect(await store.listEvents('app_1', { limit: 10 })).toEqual([]);
        expect(await store.getUser('app_1', 'alice')).toBeNull();
        expect(await store.authFailures('app_1', 10)).toEqual([]);
        expect(await store.authStats('app_1', 0)).toEqual([]);
        expect(await store.deleteApp('app_1', T0 + 2)).toBeNull();
        expect(await store.deleteApp('nope', T0)).toBeNull();

        expect((await store.listEvents('app_2', { limit: 10 })).length).toBe(4);
        expect((await store.getUser('app_2', 'alice'))?.attributes).toEqual({ plan: 'pro' });
        expect(await store.listKeys('app_2')).toHaveLength(1);
        expect(await store.authFailures('app_2', 10)).toHaveLength(1);
      });

      it('purges again at start what a batch racing the deletion stored', async () => {
        await fillApp('app_1');
        await store.deleteApp('app_1', T0);
        // A batch accepted by an instance that had not yet heard of the deletion.
        await store.storeBatch(batch([track('late')]));
        expect(await store.listEvents('app_1', { limit: 10 })).toHaveLength(1);
        expect(await opened.openAnother().purgeDeletedApps()).toBe(1);
        expect(await store.listEvents('app_1', { limit: 10 })).toEqual([]);
        expect(await store.getUser('app_1', 'u1')).toBeNull();
        expect(await store.purgeDeletedApps()).toBe(0);
      });

      it("erases one user's events, aliases, failures and profile, and nothing else", async () => {
        await store.createApp({ id: 'app_2', name: 'Two', jwt: JWT, createdAt: T0, updatedAt: T0 });
        await fillApp('app_1');
        await fillApp('app_2');
        await store.storeBatch(
          batch([attrs('c1', { email: 'claimed@example.com' })], {
            ...unverified,
            userId: 'alice',
            batchId: 'c',
          }),
        );
        await store.recordRejection({
          appId: 'app_1',
          at: T0,
          events: 1,
          outcome: { outcome: 'rejected', code: 'IDENTIFIER_MISMATCH', reason: 'subject_mismatch' },
          failure: { ...brokenFailure, code: 'IDENTIFIER_MISMATCH', subject: 'alice', userId: 'mallory' },
        });

        expect(await store.eraseUser('app_1', 'alice')).toEqual({
          events: 4,
          aliases: 1,
          failures: 1,
          profile: 1,
        });
        expect(await store.getUser('app_1', 'alice')).toBeNull();
        expect(await store.listEvents('app_1', { userId: 'alice', limit: 10 })).toEqual([]);
        expect((await store.authFailures('app_1', 10)).map((f) => f.subject)).toEqual(['bob']);
        expect(await store.eraseUser('app_1', 'alice')).toEqual({
          events: 0,
          aliases: 0,
          failures: 0,
          profile: 0,
        });
        // Bob, and alice in another app, keep everything.
        expect((await store.listEvents('app_1', { limit: 10 })).map((e) => e.userId)).toEqual(['bob']);
        expect(await store.getUser('app_1', 'bob')).not.toBeNull();
        expect((await store.getUser('app_2', 'alice'))?.attributes).toEqual({ plan: 'pro' });
        expect(await store.listEvents('app_2', { userId: 'alice', limit: 10 })).toHaveLength(3);
      });
    });

    describe('audit log', () => {
      const entry = (action: AuditToAppend['action'], appId: string | null, at: number): AuditToAppend => ({
        at,
        action,
        appId,
        actor: 'token:1a2b3c4d',
        clientIp: '203.0.113.7',
        before: null,
        after: null,
        details: null,
      });

      it('keeps entries newest first, per app or all, in pages before an id', async () => {
        await store.appendAudit({
          ...entry('jwt.changed', 'app_1', T0),
          before: { mode: 'disabled', audience: null },
          after: { mode: 'required', audience: 'shop' },
        });
        await store.appendAudit(entry('admin.login', null, T0 + 1));
        await store.appendAudit({ ...entry('key.removed', 'app_1', T0 + 2), details: { kid: 'k1' } });
        await store.appendAudit(entry('app.created', 'app_gone', T0 + 3));

        const all = await store.listAudit({ limit: 10 });
        expect(all.map((e) => e.action)).toEqual([
          'app.created',
          'key.removed',
          'admin.login',
          'jwt.changed',
        ]);
        expect(all[3]).toEqual({
          id: expect.any(Number),
          at: T0,
          action: 'jwt.changed',
          appId: 'app_1',
          actor: 'token:1a2b3c4d',
          clientIp: '203.0.113.7',
          before: { mode: 'disabled', audience: null },
          after: { mode: 'required', audience: 'shop' },
          details: null,
        });
        expect(all[1]?.details).toEqual({ kid: 'k1' });
        const ids = all.map((e) => e.id);
        expect([...ids].sort((a, b) => b - a)).toEqual(ids);

        const ofApp = await store.listAudit({ appId: 'app_1', limit: 10 });
        expect(ofApp.map((e) => e.action)).toEqual(['key.removed', 'jwt.changed']);
        expect((await store.listAudit({ appId: 'app_gone', limit: 10 })).map((e) => e.appId)).toEqual([
          'app_gone',
        ]);
        const page = await store.listAudit({ limit: 2, beforeId: ids[1] });
        expect(page.map((e) => e.action)).toEqual(['admin.login', 'jwt.changed']);
        expect(await store.listAudit({ limit: 2, beforeId: ids[3] })).toEqual([]);
      });

      it('keeps only the newest entries of an action when told to, and every other entry', async () => {
        await store.appendAudit(entry('app.created', 'app_1', T0));
        for (let i = 0; i < 8; i++) {
          await store.appendAudit({ ...entry('admin.login_failed', null, T0 + i), details: { n: i } }, 5);
        }
        const failed = await store.listAudit({ limit: 100 });
        expect(failed.filter((e) => e.action === 'admin.login_failed').map((e) => e.details?.n)).toEqual([
          7, 6, 5, 4, 3,
        ]);
        expect(failed.filter((e) => e.action === 'app.created')).toHaveLength(1);
      });

      it('is shared by two instances on one database', async () => {
        const other = opened.openAnother();
        await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 === 0 ? store : other).appendAudit(entry('key.added', 'app_1', T0 + i)),
          ),
        );
        expect(await other.listAudit({ appId: 'app_1', limit: 100 })).toHaveLength(10);
        expect(await store.listAudit({ appId: 'app_1', limit: 100 })).toHaveLength(10);
      });
    });

    describe('statistics', () => {
      it('sums activity per app and outcome, events per minute and SDK versions (dashboard aggregates)', async () => {
        await store.createApp({ id: 'app_2', name: 'Two', jwt: JWT, createdAt: T0, updatedAt: T0 });
        await store.storeBatch(batch([track('a'), track('b')]));
        await store.storeBatch(
          batch([track('c')], {
            batchId: 'b2',
            receivedAt: T0 + 61_000,
            verified: false,
            sdkVersion: '2',
            outcome: { outcome: 'unverified', code: 'INVALID_SIGNATURE', reason: 'signature_invalid' },
          }),
        );
        await store.storeBatch(batch([track('d')], { appId: 'app_2', batchId: 'b3' }));
        await store.storeBatch(batch([track('e')], { batchId: 'b4', receivedAt: T0 - 7_200_000 }));

        expect(await store.activity(Date.UTC(2026, 10, 28, 9))).toEqual([
          { appId: 'app_1', outcome: 'unverified', batches: 1, events: 1 },
          { appId: 'app_1', outcome: 'verified', batches: 1, events: 2 },
          { appId: 'app_2', outcome: 'verified', batches: 1, events: 1 },
        ]);
        expect(await store.eventsPerMinute('app_1', T0)).toEqual([
          { minute: T0, events: 2 },
          { minute: T0 + 60_000, events: 1 },
        ]);
        expect(await store.sdkVersions('app_1', T0)).toEqual([
          { name: 'test', version: '1', events: 2, lastSeen: T0 },
          { name: 'test', version: '2', events: 1, lastSeen: T0 + 61_000 },
        ]);
      });
    });

    describe('two instances on one database', () => {
      it("loses none of one user's attribute merges written concurrently by both", async () => {
        const other = opened.openAnother();
        const writes = Array.from({ length: 24 }, (_, i) =>
          (i % 2 === 0 ? store : other).storeBatch(
            batch([attrs(`m${i}`, { [`k${i}`]: i }), track(`t${i}`)], { receivedAt: T0 + i }),
          ),
        );
        expect(await Promise.all(writes)).toEqual(writes.map(() => ({ accepted: 2, duplicates: 0 })));
        const user = await store.getUser('app_1', 'u1');
        expect(user?.attributes).toEqual(Object.fromEntries(writes.map((_, i) => [`k${i}`, i])));
        expect(user?.lastSeen).toBe(T0 + 23);
      });

      it('stores a batch sent to both once', async () => {
        const other = opened.openAnother();
        const sent = batch([track('r1'), attrs('r2', { plan: 'pro' }), alias('r3', 'anon-9')]);
        const results = await Promise.all([store.storeBatch(sent), other.storeBatch(sent)]);
        expect(results.map((r) => r.accepted).sort()).toEqual([0, 3]);
        expect((await ids(other)).sort()).toEqual(['r1', 'r2', 'r3']);
        expect((await store.getUser('app_1', 'u1'))?.attributes).toEqual({ plan: 'pro' });
      });
    });
  });
}
