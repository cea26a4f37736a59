import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appWithKey,
  batchFor,
  type KeyPair,
  keyPair,
  signToken,
  startServer,
  storedCount,
  type TestServer,
} from './helpers.ts';

let server: TestServer;
let key: KeyPair;

beforeEach(async () => {
  server = await startServer();
  key ??= await keyPair('ES256');
});
afterEach(() => server.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('required mode', () => {
  it('stores a batch with a valid token as verified and counts the key use', async () => {
    const { appId, kid } = await appWithKey(server, key, 'required');
    const batch = batchFor({ id: 'user-42' }, 3);
    const res = await server.ingest(appId, batch, bearer(await signToken(key, { sub: 'user-42' })));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 3, duplicates: 0 });

    const events = (await server.admin('GET', `/admin/v1/apps/${appId}/events`)).body.events;
    expect(events).toHaveLength(3);
    expect(
      events.every(
        (e: { verified: boolean; userId: string }) => e.verified === true && e.userId === 'user-42',
      ),
    ).toBe(true);
    expect(events.map((e: { id: string }) => e.id).sort()).toEqual(batch.events.map((e) => e.id).sort());

    const keys = (await server.admin('GET', `/admin/v1/apps/${appId}/keys`)).body.keys;
    expect(keys[0]).toMatchObject({ kid, useCount: 1 });
    expect(keys[0].lastUsedAt).not.toBeNull();
  });

  it('counts a re-sent batch as duplicates and stores nothing twice', async () => {
    const { appId } = await appWithKey(server, key, 'required');
    const token = await signToken(key, { sub: 'user-1' });
    const batch = batchFor({ id: 'user-1' }, 4);
    expect((await server.ingest(appId, batch, bearer(token))).body).toEqual({ accepted: 4, duplicates: 0 });
    expect((await server.ingest(appId, batch, bearer(token))).body).toEqual({ accepted: 0, duplicates: 4 });
    // A repeated id inside one batch is a duplicate too.
    const [first] = batch.events;
    const again = {
      ...batchFor({ id: 'user-1' }, 1),
      events: [
        { ...first, id: 'same' },
        { ...first, id: 'same' },
      ],
    };
    expect((await server.ingest(appId, again, bearer(token))).body).toEqual({ accepted: 1, duplicates: 1 });
    expect(await storedCount(server, appId)).toBe(5);
  });

  it('rejects a batch without a token with 401 TOKEN_NOT_AVAILABLE and stores nothing', async () => {
    const { appId } = await appWithKey(server, key, 'required');
    const res = await server.ingest(appId, batchFor({ id: 'user-1' }));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    expect(res.body).toEqual({
      error: { type: 'jwt', code: 'TOKEN_NOT_AVAILABLE', reason: 'missing', message: expect.any(String) },
    });
    expect(await storedCount(server, appId)).toBe(0);
  });

  it('accepts anonymous batches without a token', async () => {
    const { appId } = await appWithKey(server, key, 'required');
    const res = await server.ingest(appId, batchFor({ anonymousId: randomUUID() }, 2));
    expect(res.body).toEqual({ accepted: 2, duplicates: 0 });
    const events = (await server.admin('GET', `/admin/v1/apps/${appId}/events`)).body.events;
    expect(events.map((e: { verified: unknown }) => e.verified)).toEqual([null, null]);
  });

  it('never echoes the token in an error answer', async () => {
    const { appId } = await appWithKey(server, key, 'required');
    const token = await signToken(key, { sub: 'someone-else' });
    const res = await server.ingest(appId, batchFor({ id: 'user-1' }), bearer(token));
    expect(res.status).toBe(401);
    expect(JSON.stringify(res.body)).not.toContain(token.split('.')[2]);
    expect(JSON.stringify(res.body)).not.toContain(token.split('.')[1]);
  });
});

describe('optional and disabled modes', () => {
  it('optional: stores data with a failed check as unverified and warns', async () => {
    const { appId } = await appWithKey(server, key, 'optional');
    const token = await signToken(key, { sub: 'user-2' });
    const res = await server.ingest(appId, batchFor({ id: 'user-1' }, 2), bearer(token));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accepted: 2,
      duplicates: 0,
      authWarning: { code: 'IDENTIFIER_MISMATCH', reason: 'subject_mismatch' },
    });
    const events = (await server.admin('GET', `/admin/v1/apps/${appId}/events`)).body.events;
    expect(events.map((e: { verified: unknown }) => e.verified)).toEqual([false, false]);
    const failures = (await server.admin('GET', `/admin/v1/apps/${appId}/auth/failures`)).body.failures;
    expect(failures[0]).toMatchObject({
      mode: 'optional',
      code: 'IDENTIFIER_MISMATCH',
      subject: 'user-2',
      userId: 'user-1',
    });
  });

  it('optional: a valid token stores verified data without a warning', async () => {
    const { appId } = await appWithKey(server, key, 'optional');
    const res = await server.ingest(
      appId,
      batchFor({ id: 'u' }, 1),
      bearer(await signToken(key, { sub: 'u' })),
    );
    expect(res.body).toEqual({ accepted: 1, duplicates: 0 });
    const events = (await server.admin('GET', `/admin/v1/apps/${appId}/events`)).body.events;
    expect(events[0].verified).toBe(true);
  });

  it('disabled: ignores tokens, even broken ones, and stores data unchecked', async () => {
    const { appId } = await appWithKey(server, key, 'disabled');
    const res = await server.ingest(appId, batchFor({ id: 'u' }, 1), bearer('not-a-token'));
    expect(res.body).toEqual({ accepted: 1, duplicates: 0 });
    const events = (await server.admin('GET', `/admin/v1/apps/${appId}/events`)).body.events;
    expect(events[0].verified).toBeNull();
    const stats = (await server.admin('GET', `/admin/v1/apps/${appId}/auth/stats`)).body;
    expect(stats.totals).toEqual({ skipped: { batches: 1, events: 1 } });
  });
});

describe('profiles, aliases and outcomes', () => {
  it('merges attributes into the profile and records aliases', async () => {
    const { appId } = await appWithKey(server, key, 'required');
    const token = await signToken(key, { sub: 'user-9' });
    const anon = randomUUID();
    const first = batchFor({ id: 'user-9' }, 0, [
      { type: 'attributes', attributes: { plan: 'free', country: 'NL' } },
      { type: 'alias', anonymousId: anon },
    ]);
    const second = batchFor({ id: 'user-9' }, 0, [{ type: 'attributes', attributes: { plan: 'pro' } }]);
    expect((await server.ingest(appId, first, bearer(token))).status).toBe(200);
    expect((await server.ingest(appId, second, bearer(token))).status).toBe(200);
    // A re-sent old attributes event is a duplicate and does not roll the profile back.
    expect((await server.ingest(appId, first, bearer(token))).body).toEqual({ accepted: 0, duplicates: 2 });

    const user = await server.admin('GET', `/admin/v1/apps/${appId}/users/user-9`);
    expect(user.status).toBe(200);
    expect(user.body.attributes).toEqual({ plan: 'pro', country: 'NL' });

    const db = new Database(server.dbPath, { readonly: true });
    const aliases = db.prepare('select anonymous_id, user_id from aliases where app_id = ?').all(appId);
    db.close();
    expect(aliases).toEqual([{ anonymous_id: anon, user_id: 'user-9' }]);
  });

  it('counts outcomes per hour by code and reason', async () => {
    const { appId } = await appWithKey(server, key, 'required');
    const good = await signToken(key, { sub: 'a' });
    await server.ingest(appId, batchFor({ id: 'a' }, 2), bearer(good));
    await server.ingest(appId, batchFor({ id: 'a' }, 3), bearer(good));
    await server.ingest(appId, batchFor({ id: 'b' }, 1), bearer(good));
    await server.ingest(appId, batchFor({ anonymousId: 'anon-1' }, 1));
    const stats = (await server.admin('GET', `/admin/v1/apps/${appId}/auth/stats?hours=24`)).body;
    expect(stats.totals).toEqual({
      verified: { batches: 2, events: 5 },
      rejected: { batches: 1, events: 1 },
      anonymous: { batches: 1, events: 1 },
    });
    expect(stats.rows).toContainEqual(
      expect.objectContaining({
        outcome: 'rejected',
        code: 'IDENTIFIER_MISMATCH',
        reason: 'subject_mismatch',
        batches: 1,
      }),
    );
  });
});

describe('bad input: the SPEC status and code, nothing stored, server healthy', () => {
  let appId: string;
  let token: string;
  beforeEach(async () => {
    ({ appId } = await appWithKey(server, key, 'required'));
    token = await signToken(key, { sub: 'u' });
  });
  afterEach(async () => {
    expect(await storedCount(server, appId)).toBe(0);
    expect((await server.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('not JSON content type → 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: `/v1/apps/${appId}/batch`,
      headers: { 'content-type': 'text/plain', ...bearer(token) },
      payload: 'hello',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toMatchObject({
      type: 'request',
      code: 'UNSUPPORTED_MEDIA_TYPE',
      reason: 'not_json',
    });
  });

  it('broken JSON → 400 INVALID_BATCH invalid_json', async () => {
    const res = await server.ingest(appId, '{"batchId": ', bearer(token));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_BATCH', reason: 'invalid_json' });
  });

  it('wrong types and missing ids → 400 with a JSON pointer per field', async () => {
    const batch = batchFor({ id: 'u' }, 2) as unknown as {
      batchId: unknown;
      events: Record<string, unknown>[];
    };
    batch.batchId = 42;
    delete batch.events[0]?.id;
    (batch.events[1] as Record<string, unknown>).properties = 'not an object';
    const res = await server.ingest(appId, batch, bearer(token));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_BATCH');
    const pointers = res.body.error.details.map((d: { pointer: string }) => d.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/batchId', '/events/0/id', '/events/1/properties']));
  });

  it('one invalid event stores none of the batch (atomic)', async () => {
    const batch = batchFor({ id: 'u' }, 5) as unknown as { events: Record<string, unknown>[] };
    delete batch.events[3]?.name;
    const res = await server.ingest(appId, batch, bearer(token));
    expect(res.status).toBe(400);
    expect(res.body.error.details).toContainEqual({ pointer: '/events/3/name', message: expect.any(String) });
  });

  it('a body over 512 KiB → 413 BATCH_TOO_LARGE body_too_large', async () => {
    const batch = batchFor({ id: 'u' }, 1);
    (batch.events[0] as { properties: unknown }).properties = { blob: 'x'.repeat(600 * 1024) };
    const res = await server.ingest(appId, batch, bearer(token));
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'BATCH_TOO_LARGE', reason: 'body_too_large' });
  });

  it('more than 500 events → 413 BATCH_TOO_LARGE too_many_events', async () => {
    const res = await server.ingest(appId, batchFor({ id: 'u' }, 501), bearer(token));
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'BATCH_TOO_LARGE', reason: 'too_many_events' });
  });

  it('one event over 32 KiB → 400 INVALID_BATCH event_too_large', async () => {
    const batch = batchFor({ id: 'u' }, 2);
    (batch.events[1] as { properties: unknown }).properties = { blob: 'x'.repeat(33 * 1024) };
    const res = await server.ingest(appId, batch, bearer(token));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_BATCH', reason: 'event_too_large' });
    expect(res.body.error.details).toEqual([
      { pointer: '/events/1', message: expect.stringContaining('32768') },
    ]);
  });

  it('properties nested deeper than 64 levels → 400 INVALID_BATCH (not a stack overflow), 64 levels stored', async () => {
    // Found by the reliability fuzzer (issue #8): 5,000 levels in 10 KB made JSON.stringify throw, a 500.
    const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const batch = batchFor({ id: 'u' }, 2);
    const text = JSON.stringify(batch).replace(
      '"properties":{"i":1}',
      `"properties":{"deep":${nested(5_000)}}`,
    );
    const res = await server.ingest(appId, text, bearer(token));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_BATCH', reason: 'invalid_field' });
    expect(res.body.error.details).toEqual([
      { pointer: '/events/1', message: expect.stringContaining('64 levels') },
    ]);
    const over = JSON.stringify(batchFor({ id: 'u' }, 2)).replace(
      '"properties":{"i":1}',
      `"properties":{"deep":${nested(64)}}`,
    );
    expect((await server.ingest(appId, over, bearer(token))).status).toBe(400);
    // properties {} is level 1, so 63 more levels make exactly 64: stored (in another app, as this block stores nothing).
    const other = (await appWithKey(server, key, 'required')).appId;
    const fine = JSON.stringify(batchFor({ id: 'u' }, 2)).replace(
      '"properties":{"i":1}',
      `"properties":{"deep":${nested(63)}}`,
    );
    expect((await server.ingest(other, fine, bearer(token))).body).toEqual({ accepted: 2, duplicates: 0 });
  });

  it('an alias in an anonymous batch → 400', async () => {
    const res = await server.ingest(
      appId,
      batchFor({ anonymousId: 'a-1' }, 0, [{ type: 'alias', anonymousId: 'a-0' }]),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { pointer: '/events/0/type', message: expect.stringContaining('identified') },
    ]);
  });

  it('prototype-pollution keys → 400 and no prototype changes', async () => {
    const raw = JSON.stringify(batchFor({ id: 'u' }, 1)).replace(
      '"properties":{',
      '"properties":{"__proto__":{"polluted":true},',
    );
    const res = await server.ingest(appId, raw, bearer(token));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_BATCH');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a NUL character in an id or name → 400 with its pointer (PostgreSQL text cannot hold it)', async () => {
    const batch = batchFor({ id: 'u' }, 2);
    (batch.events[1] as { name: string }).name = 'Added\u0000to cart';
    const res = await server.ingest(appId, batch, bearer(token));
    expect(res.status).toBe(400);
    expect(res.body.error.details).toContainEqual({ pointer: '/events/1/name', message: expect.any(String) });
  });

  it('unknown app → 404 APP_NOT_FOUND', async () => {
    const res = await server.ingest('app_missing', batchFor({ id: 'u' }), bearer(token));
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ type: 'request', code: 'APP_NOT_FOUND', reason: 'unknown_app' });
  });
});
