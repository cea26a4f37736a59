import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JWT_ERRORS, REQUEST_ERRORS } from '../src/errors.ts';

// docs/protocol.md names error codes in backticks; each must be in the registry, and every
// registry code must be named there at least once.
const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
const registry = new Set([...Object.keys(JWT_ERRORS), ...Object.keys(REQUEST_ERRORS)]);
const backticked = new Set([...doc.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1] as string));

describe('docs/protocol.md', () => {
  it('names no error code that the registry lacks', () => {
    // Shaped like a registry code: UPPER_SNAKE with at least one underscore. Environment
    // variables (SIGNET_…) share the shape and are not codes.
    const codeLike = [...backticked].filter(
      (t) => /^[A-Z]+(?:_[A-Z0-9]+)+$/.test(t) && !t.startsWith('SIGNET_'),
    );
    expect(codeLike.filter((t) => !registry.has(t))).toEqual([]);
  });

  it('names every registry code', () => {
    expect([...registry].filter((code) => !backticked.has(code))).toEqual([]);
  });
});
