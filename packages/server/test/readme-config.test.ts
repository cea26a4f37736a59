import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_ENV } from '../src/config.ts';

// The README's "Configuration" table documents every variable the server reads.
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The backticked names in the first column of the tables of the README's Configuration section. */
function documentedVariables(): Set<string> {
  const start = readme.search(/^## Configuration\s*$/m);
  if (start === -1) return new Set();
  const rest = readme.slice(start + 1);
  const end = rest.search(/^## /m);
  const section = end === -1 ? rest : rest.slice(0, end);
  const names = section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .flatMap((line) =>
      [...(line.split('|')[1] ?? '').matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1] as string),
    );
  return new Set(names);
}

describe('README configuration table', () => {
  it('has a "## Configuration" section with a table', () => {
    expect(documentedVariables().size).toBeGreaterThan(0);
  });

  it('lists every environment variable of CONFIG_ENV', () => {
    const documented = documentedVariables();
    expect(Object.values(CONFIG_ENV).filter((name) => !documented.has(name))).toEqual([]);
  });
});
