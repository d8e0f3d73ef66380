/**
 * Renders the figures of a fault-suite run (`.faults/figures.jsonl`, or the file given) as the
 * markdown table of docs/reliability.md, between its `<!-- figures -->` markers, with the commit.
 *
 *   pnpm test:faults && pnpm tsx scripts/faults/report.ts [figures.jsonl] [--commit <sha>]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FaultFigures } from '../../test/faults/support/figures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOC = join(ROOT, 'docs', 'reliability.md');
const args = process.argv.slice(2);
const commitAt = args.indexOf('--commit');
const commit =
  commitAt >= 0
    ? args[commitAt + 1]
    : execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
const file =
  args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--commit') ??
  join(ROOT, '.faults', 'figures.jsonl');

const rows = readFileSync(file, 'utf8')
  .split('\n')
  .filter((line) => line.trim().length > 0)
  .map((line) => JSON.parse(line) as FaultFigures & { at: string });
// the latest run of each scenario
const latest = new Map<string, FaultFigures & { at: string }>();
for (const row of rows) latest.set(row.scenario, row);

const cell = (text: string) => text.replace(/\|/g, '\\|');
const table = [
  `From a run of \`pnpm test:faults\` at commit ${commit}, ${[...latest.values()][0]?.at.slice(0, 10) ?? ''}, on a 2-core machine of the kind CI runs on:`,
  '',
  '| scenario | events | faults | lost | duplicated | recover (ms) | notes |',
  '|---|--:|--:|--:|--:|--:|---|',
  ...[...latest.values()].map(
    (r) =>
      `| ${cell(r.scenario)} | ${r.events.toLocaleString('en-US')} | ${r.faults} | ${r.lost} | ${r.duplicated.toLocaleString('en-US')} | ${r.recoverMs ?? '–'} | ${cell(r.notes ?? '')} |`,
  ),
].join('\n');

const doc = readFileSync(DOC, 'utf8');
const updated = doc.replace(
  /<!-- figures -->[\s\S]*<!-- \/figures -->/,
  `<!-- figures -->\n${table}\n<!-- /figures -->`,
);
if (updated === doc && !doc.includes(table)) throw new Error(`${DOC} has no <!-- figures --> markers`);
writeFileSync(DOC, updated);
console.log(`docs/reliability.md: ${latest.size} scenarios from ${file}`);
