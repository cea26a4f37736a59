import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestCase } from '../src/arbitraries.ts';
import { FUZZ_RUNS, type FuzzTarget, fuzzTarget, prototypeSnapshot } from '../src/fuzz-target.ts';

// The ingestion endpoint under hostile input (fast-check): arbitrary JSON and bytes, near-valid
// batches with any field replaced, huge numbers, deep nesting, unicode, prototype-pollution
// keys. The server never answers a 5xx (503 aside), stores a batch whole or not at all, leaves
// every built-in prototype as it was, and stays healthy.

let target: FuzzTarget;
beforeAll(async () => {
  target = await fuzzTarget();
});
afterAll(() => target?.close());

const eventIdsOf = (payload: string | Buffer): string[] => {
  try {
    const events = JSON.parse(String(payload))?.events;
    return Array.isArray(events)
      ? events.map((e) => e?.id).filter((id): id is string => typeof id === 'string')
      : [];
  } catch {
    return [];
  }
};

describe('ingestion fuzzing', () => {
  it(`holds its invariants over ${FUZZ_RUNS} hostile requests`, async () => {
    const prototypes = prototypeSnapshot();
    const statuses = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(ingestCase, async (c) => {
        const ids = [...new Set(eventIdsOf(c.payload))];
        const totalBefore = target.storedTotal();
        const idsBefore = target.storedOf(target.openAppId, ids);
        const res = await target.post(target.openAppId, c.payload, { 'content-type': c.contentType });
        const key = `${c.family} → ${res.status}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        expect(res.status >= 500 && res.status !== 503, `${res.status} ${res.body}`).toBe(false);
        const added = target.storedTotal() - totalBefore;
        if (res.status === 200) {
          const body = JSON.parse(res.body) as { accepted: number; duplicates: number };
          expect(added).toBe(body.accepted);
          expect(target.storedOf(target.openAppId, ids)).toBe(ids.length); // the whole batch
          expect(body.accepted + body.duplicates).toBeGreaterThanOrEqual(ids.length);
        } else {
          expect(added).toBe(0); // none of it
          expect(target.storedOf(target.openAppId, ids)).toBe(idsBefore);
          expect(JSON.parse(res.body).error.code).toEqual(expect.any(String));
        }
        expect(prototypeSnapshot()).toBe(prototypes);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: FUZZ_RUNS },
    );
    expect(await target.healthy()).toBe(true);
    console.info(
      `RELIABILITY | fuzz ingestion | ${FUZZ_RUNS} cases | ${[...statuses]
        .sort()
        .map(([k, n]) => `${k}: ${n}`)
        .join(', ')}`,
    );
  }, 120_000);
});
