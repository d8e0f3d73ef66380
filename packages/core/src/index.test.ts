import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as root from './index.js';

const here = dirname(fileURLToPath(import.meta.url));
const docs = join(here, '../../../docs');
const apiPage = readFileSync(join(docs, 'api.md'), 'utf8');

/** Every name an index file exports, values and types (each index names its exports, no `export *`). */
function exportedNames(indexFile: string): string[] {
  const source = readFileSync(join(here, indexFile), 'utf8');
  const names: string[] = [];
  for (const block of source.matchAll(/export (?:type )?\{([^}]*)\}/g))
    for (const name of (block[1] ?? '').split(',')) if (name.trim()) names.push(name.trim());
  return names;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const headings = markdown.match(/^#{1,6} .+$/gm) ?? [];
  return new Set(
    headings.map((h) =>
      h
        .replace(/^#+ /, '')
        .toLowerCase()
        .replace(/[^a-z0-9 _-]/g, '')
        .replace(/ /g, '-'),
    ),
  );
}

describe('the public API', () => {
  it('keeps CLI plumbing and unused errors out of the root export', () => {
    for (const name of ['constructedApps', 'setCliLoading', 'formatBanner', 'DecodeError', 'closestName'])
      expect(Object.keys(root)).not.toContain(name);
  });

  it('docs/api.md lists every export of @strom/core and @strom/core/testing', () => {
    const names = [...exportedNames('index.ts'), ...exportedNames('testing/index.ts')];
    expect(names.length).toBeGreaterThan(60);
    const missing = names.filter((name) => !apiPage.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('docs/api.md links to headings that exist', () => {
    const links = [...apiPage.matchAll(/\]\(([a-z-]+\.md)(?:#([^)]+))?\)/g)];
    expect(links.length).toBeGreaterThan(30);
    const broken = links
      .filter(
        ([, file, anchor]) => anchor && !anchors(readFileSync(join(docs, file ?? ''), 'utf8')).has(anchor),
      )
      .map(([link]) => link);
    expect(broken).toEqual([]);
  });
});
