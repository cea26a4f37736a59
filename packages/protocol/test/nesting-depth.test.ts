import { describe, expect, it } from 'vitest';
import { nestingDepth } from '../src/nesting-depth.ts';

describe('nestingDepth', () => {
  it('counts object and array levels, scalars as 0', () => {
    expect(nestingDepth(1, 64)).toBe(0);
    expect(nestingDepth({}, 64)).toBe(1);
    expect(nestingDepth({ a: [1, { b: null }] }, 64)).toBe(3);
  });
  it('stops just past the limit, without recursion, on 100,000 levels', () => {
    let deep: unknown = null;
    for (let i = 0; i < 100_000; i++) deep = { __proto__: null, x: deep };
    expect(nestingDepth(deep, 64)).toBe(65);
  });
});
