import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '@signet/protocol';
import { describe, expect, it, vi } from 'vitest';
import { SignetError } from '../src/core/authentication-error.ts';
import { isoTime } from '../src/core/iso-time.ts';
import { memoryStorage } from '../src/core/memory-storage.ts';
import { resolveOptions } from '../src/core/options.ts';
import { retryDelay } from '../src/core/retry-policy.ts';
import { isObject, StoredRecord } from '../src/core/stored-record.ts';
import { tokenClaims } from '../src/core/token-claims.ts';
import { uuidv7 } from '../src/core/uuid-v7.ts';
import { harness } from './client-harness.ts';
import { fakeToken } from './fakes.ts';

describe('uuidv7', () => {
  it('makes RFC 9562 version-7 ids that sort in creation order, also within one millisecond', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => uuidv7(1_700_000_000_000 + Math.floor(i / 500)));
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Number.parseInt(String(ids[0]).replace(/-/g, '').slice(0, 12), 16)).toBe(1_700_000_000_000);
    expect(Number.parseInt(String(ids[1999]).replace(/-/g, '').slice(0, 12), 16)).toBe(1_700_000_000_003);
  });
});

describe('isoTime', () => {
  it('is exactly Date#toISOString, within a second, across seconds, before 1970 and for fractions', () => {
    const start = Date.UTC(2026, 0, 1, 23, 59, 58, 990);
    const times = [
      ...Array.from({ length: 2_100 }, (_, i) => start + i),
      start + 5,
      start,
      -1,
      -999,
      -1_000,
      0,
      1_500.75,
      1_501,
      -0.5,
      Date.UTC(10_000, 0, 1),
      8.64e15,
    ];
    for (const ms of times) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });
  it('throws for an invalid time, as Date does', () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});

describe('StoredRecord', () => {
  const record = (storage = memoryStorage()) => ({
    storage,
    record: new StoredRecord<{ n: number; nested?: { tag: string } }>(
      storage,
      'k',
      () => ({ n: 0 }),
      (value) => isObject(value) && typeof value.n === 'number',
    ),
  });

  it('parses the stored text once while it is unchanged, and sees another writer at the next read', () => {
    const { storage, record: stored } = record();
    storage.setItem('k', '{"n":1}');
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const first = stored.read();
      expect(stored.read()).toBe(first);
      expect(first).toEqual({ n: 1 });
      expect(parse).toHaveBeenCalledTimes(1);
      // Another tab writes through the shared storage: the next read has it.
      storage.setItem('k', '{"n":2}');
      expect(stored.read()).toEqual({ n: 2 });
      expect(parse).toHaveBeenCalledTimes(2);
    } finally {
      parse.mockRestore();
    }
  });

  it('returns a frozen value, so no caller can change what the next read returns', () => {
    const { storage, record: stored } = record();
    storage.setItem('k', '{"n":1,"nested":{"tag":"a"}}');
    const value = stored.read() as { n: number; nested: { tag: string } };
    expect(() => {
      value.n = 5;
    }).toThrow(TypeError);
    expect(() => {
      value.nested.tag = 'b';
    }).toThrow(TypeError);
    expect(stored.read()).toEqual({ n: 1, nested: { tag: 'a' } });
  });

  it('reads a removed or invalid record as the fallback, and the stored value again once it is back', () => {
    const { storage, record: stored } = record();
    stored.write({ n: 3 });
    expect(stored.read()).toEqual({ n: 3 });
    storage.removeItem('k');
    expect(stored.read()).toEqual({ n: 0 });
    storage.setItem('k', '{"n":"three"}');
    expect(stored.read()).toEqual({ n: 0 });
    storage.setItem('k', '{not json');
    expect(stored.read()).toEqual({ n: 0 });
    stored.write({ n: 3 });
    expect(stored.read()).toEqual({ n: 3 });
  });
});

describe('tokenClaims', () => {
  it('reads sub and exp from the payload and nothing else', () => {
    expect(tokenClaims(fakeToken({ sub: 'ü-42', exp: 123 }))).toEqual({ sub: 'ü-42', exp: 123 });
    expect(tokenClaims(fakeToken({ exp: 123 }))).toEqual({ exp: 123 });
    // Decoded without TextDecoder (React Native lacks it): 2-, 3- and 4-byte UTF-8, and `%`.
    const sub = 'ß·日本·🦊·100%·a+b';
    expect(tokenClaims(fakeToken({ sub, exp: 1 }))).toEqual({ sub, exp: 1 });
  });
  it('returns null for anything that is not base64url JSON', () => {
    const notUtf8 = Buffer.from([0x7b, 0x22, 0x73, 0x75, 0x62, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]); // {"sub":"\xff"}
    for (const bad of [
      '',
      'abc',
      'a.b+c.d',
      'a.!!!.c',
      `a.${Buffer.from('nope').toString('base64url')}.c`,
      `a.${notUtf8.toString('base64url')}.c`,
    ]) {
      expect(tokenClaims(bad)).toBeNull();
    }
  });
});

describe('retryDelay', () => {
  it('reads Retry-After as seconds or as an HTTP date, as a floor under the backoff, capped at 5 minutes', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(retryDelay(0, () => 0, '7', now)).toBe(7000);
    expect(retryDelay(0, () => 0, new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(retryDelay(0, () => 0, '86400', now)).toBe(300_000);
    expect(retryDelay(3, () => 0.5, 'garbage', now)).toBe(6000);
    // Retry-After is a floor: later attempts still back off (with jitter) beyond it.
    expect(retryDelay(3, () => 0.5, '2', now)).toBe(6000);
    expect(retryDelay(1, () => 0.5, '2', now)).toBe(2000);
  });
});

describe('options', () => {
  it('are checked once, at creation, with a clear message', () => {
    expect(() => resolveOptions({ appId: '', endpoint: 'http://x' })).toThrow(/appId is required/);
    expect(() => resolveOptions({ appId: 'a', endpoint: 'collect.example.com' })).toThrow(/endpoint must be/);
    expect(() => resolveOptions({ appId: 'a', endpoint: 'http://x', flushAt: 0 })).toThrow(SignetError);
    expect(resolveOptions({ appId: 'a b', endpoint: 'https://x.test/' }).url).toBe(
      'https://x.test/v1/apps/a%20b/batch',
    );
  });
  it('bad calls never throw into the page: each is logged and counted as dropped, nothing queued is lost', () => {
    const lines: string[] = [];
    const h = harness({ debug: true, logger: (line) => lines.push(line) });
    h.signet.track('ok');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const calls = [
      () => h.signet.track(''),
      () => h.signet.track(42 as unknown as string),
      () => h.signet.track('props', [1] as unknown as JsonObject),
      () => h.signet.track('big', { s: 'x'.repeat(40_000) }),
      () => h.signet.track('cycle', circular as JsonObject),
      () => h.signet.identify('x'.repeat(200)),
      () => h.signet.identify(undefined as unknown as string),
      () => h.signet.setUserAttribute('', 1),
    ];
    for (const call of calls) expect(call).not.toThrow();
    expect(h.signet.stats()).toMatchObject({ queued: 1, dropped: calls.length });
    expect(lines.filter((line) => line.includes('dropped 1 event'))).toHaveLength(calls.length);
    expect(lines.join('\n')).toMatch(/name must be/);
    expect(lines.join('\n')).toMatch(/larger than 32768 bytes/);
    expect(lines.join('\n')).toMatch(/at most 128/);
    // A cycle is refused by the depth check before JSON.stringify could fail on it.
    expect(lines.join('\n')).toMatch(/not JSON|deeper than 64 levels/);

    // Calls that carry no event are ignored with a log line, and drop nothing.
    expect(() =>
      h.signet.passAuthenticationDetails({ type: 'basic' as 'jwt', token: 't', userIdentifier: 'u' }),
    ).not.toThrow();
    expect(() => h.signet.passAuthenticationDetails(undefined as never)).not.toThrow();
    expect(() => h.signet.registerAuthenticationListener('x' as never)()).not.toThrow();
    expect(lines.join('\n')).toMatch(/type must be 'jwt'/);
    expect(h.signet.stats()).toMatchObject({ queued: 1, dropped: calls.length });
  });
  it('debug logs decisions without ever logging a whole token', async () => {
    const lines: string[] = [];
    const h = harness({ debug: true, logger: (line) => lines.push(line) }, () => ({
      status: 401,
      body: { error: { type: 'jwt', code: 'UNKNOWN', reason: 'unknown', message: 'no' } },
    }));
    const token = h.token('u1');
    h.signet.identify('u1');
    h.signet.passAuthenticationDetails({ type: 'jwt', token, userIdentifier: 'u1' });
    h.signet.track('A');
    await h.signet.flush();
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) {
      expect(line).not.toContain(token.split('.')[1]);
    }
  });
});

describe('the core and the React Native entry', () => {
  it('touch no DOM and no node:* module (runtimes come in through interfaces)', () => {
    for (const folder of ['core', 'react-native']) {
      const dir = join(import.meta.dirname, '../src', folder);
      for (const file of readdirSync(dir)) {
        const code = readFileSync(join(dir, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
        expect(code, `${folder}/${file}`).not.toMatch(
          /from ['"]node:|\b(window|document|navigator|localStorage|process)\b/,
        );
      }
    }
  });
});
