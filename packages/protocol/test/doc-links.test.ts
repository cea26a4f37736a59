import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Every relative link in the repository's documentation must resolve inside a clone: to a file
// or folder of the repository (not next to it), and, for `file.md#anchor` and `#anchor`, to a
// heading of that file. Links in code blocks and code spans are not links.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const docs = [
  'README.md',
  'CHANGELOG.md',
  'RELIABILITY.md',
  'BENCHMARKS.md',
  'packages/sdk/README.md',
  // docs/ and its folders (docs/identity-providers/…).
  ...readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name.split(sep).join('/')}`),
].filter((file) => existsSync(join(root, file)));

/** The lines outside fenced code blocks (a `# comment` in a shell block is no heading). */
function outsideFences(markdown: string): string[] {
  const lines: string[] = [];
  let fence: string | null = null;
  for (const line of markdown.split('\n')) {
    const opener = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === null && opener !== undefined) fence = opener;
    else if (fence !== null && line.trim().startsWith(fence)) fence = null;
    else if (fence === null) lines.push(line);
  }
  return lines;
}

/** Link targets: `[text](target)`, `![alt](target "title")` and `[ref]: target`, not in code. */
function linkTargets(markdown: string): string[] {
  const text = outsideFences(markdown)
    .map((line) => line.replace(/(`+)[^`]*?\1/g, ''))
    .join('\n');
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+["'(][^)]*)?\)/g)].map((m) => m[1] as string);
  const defined = [...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/gm)].map((m) => m[1] as string);
  return [...inline, ...defined];
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of outsideFences(markdown)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  for (const target of linkTargets(readFileSync(join(root, file), 'utf8'))) {
    if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue;
    const hash = target.indexOf('#');
    const path = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
    const anchor = hash === -1 ? null : decodeURIComponent(target.slice(hash + 1));
    const resolved = path === '' ? join(root, file) : resolve(dirname(join(root, file)), path);
    const inside = relative(root, resolved);
    if (inside.startsWith(`..${sep}`) || inside === '..' || !existsSync(resolved)) {
      broken.push(`${target} (no such file in the repository)`);
    } else if (
      anchor &&
      resolved.endsWith('.md') &&
      !anchors(readFileSync(resolved, 'utf8')).has(anchor.toLowerCase())
    ) {
      broken.push(`${target} (no such heading)`);
    }
  }
  return broken;
}

describe('links in the documentation', () => {
  it('finds the documents', () => {
    expect(docs).toContain('README.md');
    expect(docs).toContain('docs/protocol.md');
  });

  it.each(docs)('%s links only to files and headings of the repository', (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  it('reads links the way GitHub does', () => {
    const sample = [
      '# Title',
      '## Example shop (`npm run demo`)',
      '## Title',
      '```sh',
      '# not a heading [x](nowhere.md)',
      '```',
      'See [a](docs/errors.md#x) and `[b](code.md)` and [c]: ref.md',
    ].join('\n');
    expect([...anchors(sample)]).toEqual(['title', 'example-shop-npm-run-demo', 'title-1']);
    expect(linkTargets(sample)).toEqual(['docs/errors.md#x']);
  });
});
