import type { JwtSettings } from '@signet/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchToStore, EventToStore, KeyRow, Store } from '../src/store/store.ts';
import { BACKENDS } from './backends.ts';

const JWT: JwtSettings = {
  mode: 'disabled',
  audience: null,
  issuer: null,
  clockToleranceSeconds: 60,
  maxTokenLifetimeSeconds: 2_592_000,
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

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== null)(`store: ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await backend.open());
      await store.migrate();
      await store.createApp({ id: 'app_1', name: 'One', jwt: JWT, createdAt: T0, updatedAt: T0 });
    });
    afterEach(() => cleanup());

    it('migrates idempotently', async () => {
      await store.migrate();
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

    it('stores a batch once, counting duplicates, and moves the key usage', async () => {
      await store.addKey('app_1', key('k1'), 5);
      const first = await store.storeBatch(batch([track('e1'), track('e2')], { keyUsed: 'k1' }));
      expect(first).toEqual({ accepted: 2, duplicates: 0 });
      const again = await store.storeBatch(batch([track('e2'), track('e3'), track('e3')], { keyUsed: 'k1' }));
      expect(again).toEqual({ accepted: 1, duplicates: 2 });
      const events = await store.listEvents('app_1', { limit: 10 });
      expect(events.map((e) => JSON.parse(e.body).id)).toEqual(['e3', 'e2', 'e1']);
      expect(events[0]).toMatchObject({ userId: 'u1', verified: true, receivedAt: T0 });
      expect((await store.listKeys('app_1'))[0]).toMatchObject({ useCount: 2, lastUsedAt: T0 });
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
      // The failure row breaks a NOT NULL constraint after the events were inserted.
      const failure = {
        mode: 'optional',
        code: null as unknown as string,
        reason: 'x',
        kid: null,
        subject: null,
        userId: 'u1',
        sdkName: null,
        sdkVersion: null,
      };
      await expect(store.storeBatch(batch([track('y1'), track('y2')], { failure }))).rejects.toThrow();
      expect(await store.listEvents('app_1', { limit: 10 })).toEqual([]);
      expect(await store.getUser('app_1', 'u1')).toBeNull();
      expect(await store.authStats('app_1', 0)).toEqual([]);
    });

    it('stores concurrent batches independently: one failing leaves the others whole', async () => {
      const failure = {
        mode: 'optional',
        code: null as unknown as string,
        reason: 'x',
        kid: null,
        subject: null,
        userId: 'u1',
        sdkName: null,
        sdkVersion: null,
      };
      const results = await Promise.allSettled([
        store.storeBatch(batch([track('g1'), track('g2')])),
        store.storeBatch(batch([track('f1'), track('f2')], { failure })),
        store.storeBatch(batch([track('g3')])),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const ids = (await store.listEvents('app_1', { limit: 10 })).map((e) => JSON.parse(e.body).id).sort();
      expect(ids).toEqual(['g1', 'g2', 'g3']);
      expect((await store.authStats('app_1', 0))[0]).toMatchObject({ batches: 2, events: 3 });
    });

    it('merges attributes of new events only, in batch order', async () => {
      const attrs = (id: string, attributes: Record<string, unknown>): EventToStore => ({
        ...track(id),
        type: 'attributes',
        name: null,
        attributes: attributes as never,
      });
      await store.storeBatch(batch([attrs('a1', { plan: 'free', n: 1 }), attrs('a2', { plan: 'pro' })]));
      await store.storeBatch(
        batch([attrs('a1', { plan: 'free' }), attrs('a3', { __proto__: 'x' })], { receivedAt: T0 + 5 }),
      );
      const user = await store.getUser('app_1', 'u1');
      expect(user).toMatchObject({ userId: 'u1', firstSeen: T0, lastSeen: T0 + 5 });
      expect(user?.attributes).toEqual({ plan: 'pro', n: 1 });
      expect(await store.getUser('app_1', 'nobody')).toBeNull();
    });

    it('scopes event ids to their sender: nobody else pre-claims a verified event', async () => {
      const attrs = (id: string, attributes: Record<string, string>): EventToStore => ({
        ...track(id),
        type: 'attributes',
        name: null,
        attributes,
      });
      const unverified = {
        verified: false,
        outcome: { outcome: 'unverified' as const, code: null, reason: null },
      };
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
        {
          userId: 'alice',
        },
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
      const attrs = (id: string, attributes: Record<string, string>): EventToStore => ({
        ...track(id),
        type: 'attributes',
        name: null,
        attributes,
      });
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
      expect(user?.unverifiedAttributes).toEqual({ email: 'attacker@example.com', plan: 'free', lang: 'fr' });
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
}
