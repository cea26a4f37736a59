import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JWT_ERRORS, REQUEST_ERRORS } from '../src/errors.ts';

// docs/errors.md and the registry must list the same codes, reasons and statuses.
const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const rows = doc
  .split('\n')
  .filter((line) => /^\|\s*`[A-Z_]+`\s*\|/.test(line))
  .map((line) => line.split('|').map((cell) => cell.trim().replaceAll('`', '')));

describe('docs/errors.md', () => {
  it('documents every JWT code and reason, and nothing else', () => {
    const documented = rows.filter((r) => r.length === 5).map((r) => `${r[1]} ${r[2]}`);
    const registry = Object.entries(JWT_ERRORS).flatMap(([code, reasons]) =>
      reasons.map((r) => `${code} ${r}`),
    );
    expect(documented.sort()).toEqual(registry.sort());
  });

  it('documents every request and server code with its status, type and reasons, and nothing else', () => {
    const documented = rows.filter((r) => r.length === 7).map((r) => `${r[1]} ${r[2]} ${r[3]} ${r[4]}`);
    const registry = Object.entries(REQUEST_ERRORS).flatMap(([code, e]) =>
      e.reasons.map((reason) => `${code} ${e.status} ${e.type} ${reason}`),
    );
    expect(documented.sort()).toEqual(registry.sort());
  });
});
