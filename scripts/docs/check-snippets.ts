/**
 * Checks that the docs are real: the TypeScript snippets type-check against the workspace, and
 * the settings table of docs/configuration.md is the one the App settings schema renders.
 *
 *   pnpm exec tsx scripts/docs/check-snippets.ts                   # check (exit 1 on any failure)
 *   pnpm exec tsx scripts/docs/check-snippets.ts --write-settings  # rewrite the settings table
 *   pnpm exec tsx scripts/docs/check-snippets.ts --keep            # keep .snippets/ to look at
 *   pnpm exec tsx scripts/docs/check-snippets.ts docs/guide.md     # only these Markdown files
 *
 * Which ```ts blocks are checked is decided by an HTML comment on the line(s) before the fence
 * (blank lines in between are fine); the comment does not show when the Markdown is rendered:
 *
 *   <!-- check -->               a complete program, type-checked on its own
 *   <!-- check: rides/app.ts --> a complete program saved as .snippets/rides/app.ts; snippets in the
 *                                same folder can import each other ('./app.js')
 *   <!-- check with ops -->      a fragment: type-checked after the hidden prelude named `ops`
 *
 * A prelude is a hidden comment holding the code a fragment needs (imports, `declare const stream`):
 *
 *   <!-- prelude ops
 *   import { App, z } from '@strom/core';
 *   ...
 *   -->
 *
 * Unmarked blocks (shell, output, partial code with no prelude) are not checked. The snippets are
 * written to .snippets/ at the repository root with a tsconfig extending ../tsconfig.base.json, so
 * `@strom/core` resolves to the workspace sources, and type-checked with the repo's own tsc.
 * .snippets/ is deleted afterwards. Errors are reported as `docs/guide.md:LINE:COL`.
 *
 * The settings table sits between `<!-- settings-table:start -->` and `<!-- settings-table:end -->`
 * in docs/configuration.md and is rendered from `appSettingsSchema` (packages/core/src/app/settings.ts):
 * name, type, default and the `.describe()` text of every field, in schema order.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, '.snippets');
const DEFAULT_DOCS = [
  'docs/guide.md',
  'docs/cli.md',
  'docs/configuration.md',
  'docs/tables.md',
  'docs/windows.md',
  'docs/web.md',
];
const SETTINGS_DOC = 'docs/configuration.md';
const SETTINGS_SOURCE = join(ROOT, 'packages/core/src/app/settings.ts');

interface Snippet {
  /** Path under .snippets/. */
  file: string;
  doc: string;
  /** Doc line (1-based) of the snippet's first code line. */
  line: number;
  code: string;
  prelude?: { name: string; doc: string; line: number; code: string };
}

// Snippets

function extract(doc: string): { snippets: Snippet[]; unmarked: number } {
  const lines = readFileSync(join(ROOT, doc), 'utf8').split('\n');
  const preludes = new Map<string, { doc: string; line: number; code: string }>();
  const snippets: Snippet[] = [];
  const fragments: Array<{ snippet: Snippet; preludeName: string }> = [];
  let unmarked = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const prelude = /^<!-- prelude ([\w-]+)\s*$/.exec(line);
    if (prelude) {
      const end = lines.indexOf('-->', i + 1);
      if (end < 0) throw new Error(`${doc}:${i + 1}: prelude ${prelude[1]} has no closing --> line`);
      preludes.set(prelude[1]!, { doc, line: i + 2, code: lines.slice(i + 1, end).join('\n') });
      i = end;
      continue;
    }
    const fence = /^(`{3,})(\w*)/.exec(line);
    if (!fence) continue;
    const close = lines.findIndex((l, j) => j > i && l.startsWith(fence[1]!) && l.trim() === fence[1]);
    if (close < 0) throw new Error(`${doc}:${i + 1}: code block is not closed`);
    const code = lines.slice(i + 1, close).join('\n');
    const start = i + 2;
    i = close;
    if (fence[2] !== 'ts' && fence[2] !== 'typescript') continue;
    let m = start - 3; // the line before the opening fence (start is 1-based, two lines below it)
    while (m >= 0 && lines[m]!.trim() === '') m--;
    const marker = /^<!-- check(?:: ([\w./-]+\.ts)| with ([\w-]+))?\s*-->$/.exec(lines[m]?.trim() ?? '');
    if (!marker) {
      unmarked++;
      continue;
    }
    const base = doc
      .replace(/^docs\//, '')
      .replace(/\.md$/, '')
      .replace(/[^\w-]+/g, '-')
      .replace(/^-+/, '');
    const snippet: Snippet = { file: marker[1] ?? `${base}-${start}/main.ts`, doc, line: start, code };
    snippets.push(snippet);
    if (marker[2]) fragments.push({ snippet, preludeName: marker[2] });
  }
  for (const { snippet, preludeName } of fragments) {
    const prelude = preludes.get(preludeName);
    if (!prelude) throw new Error(`${doc}:${snippet.line - 1}: no <!-- prelude ${preludeName} --> in ${doc}`);
    snippet.prelude = { name: preludeName, ...prelude };
  }
  return { snippets, unmarked };
}

function writeSnippets(snippets: Snippet[]): void {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(
    join(OUT, 'tsconfig.json'),
    `${JSON.stringify(
      {
        extends: '../tsconfig.base.json',
        compilerOptions: { noEmit: true, declaration: false, declarationMap: false, sourceMap: false },
        include: ['**/*.ts'],
      },
      null,
      2,
    )}\n`,
  );
  const seen = new Set<string>();
  for (const s of snippets) {
    if (seen.has(s.file)) throw new Error(`${s.doc}:${s.line - 1}: two snippets are saved as ${s.file}`);
    seen.add(s.file);
    const path = join(OUT, s.file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, s.prelude ? `${s.prelude.code}\n${s.code}\n` : `${s.code}\n`);
  }
}

/** Maps `.snippets/x.ts(line,col)` back to the Markdown line it came from. */
function locate(snippets: Snippet[], file: string, line: number, col: number): string | undefined {
  const s = snippets.find((x) => x.file === file);
  if (!s) return undefined;
  if (!s.prelude) return `${s.doc}:${s.line + line - 1}:${col}`;
  const preludeLines = s.prelude.code.split('\n').length;
  if (line <= preludeLines)
    return `${s.prelude.doc}:${s.prelude.line + line - 1}:${col} (prelude ${s.prelude.name})`;
  return `${s.doc}:${s.line + line - preludeLines - 1}:${col}`;
}

function typeCheck(snippets: Snippet[]): number {
  const tsc = join(ROOT, 'node_modules/.bin/tsc');
  let output = '';
  try {
    execFileSync(tsc, ['-p', join(OUT, 'tsconfig.json'), '--noEmit', '--pretty', 'false'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    if (output.trim() === '') throw error;
  }
  // errors in the snippets fail the check; errors in workspace sources (which other people may be
  // editing) are shown but not counted: `pnpm build` is the check for those
  let failures = 0;
  let elsewhere = 0;
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^(.+?)\((\d+),(\d+)\): (.*)$/.exec(line);
    if (!m) {
      if (/^error /.test(line)) failures++; // e.g. a broken tsconfig: no location, still a failure
      console.error(line);
      continue;
    }
    const where = locate(snippets, relative(OUT, join(ROOT, m[1]!)), Number(m[2]), Number(m[3]));
    if (where) {
      failures++;
      console.error(`${where}: ${m[4]}`);
    } else {
      elsewhere++;
      console.error(`${m[1]}(${m[2]},${m[3]}): ${m[4]}`);
    }
  }
  if (elsewhere > 0)
    console.error(`note: ${elsewhere} error(s) in workspace sources, not in the docs (not counted)`);
  return failures;
}

// Settings table

interface ZodLike {
  description?: string;
  _zod: {
    def: {
      type: string;
      innerType?: ZodLike;
      in?: ZodLike;
      options?: ZodLike[];
      element?: ZodLike;
      entries?: Record<string, string | number>;
      values?: unknown[];
      defaultValue?: unknown;
      checks?: Array<{ _zod: { def: { check: string; value?: number; inclusive?: boolean } } }>;
    };
  };
}

/** Types zod cannot describe (z.custom): what users pass. */
const CUSTOM_TYPES: Record<string, string> = {
  kafka: 'ConnectionOptions',
  keyCodec: '"json" | "string" | "raw" | Codec',
  valueCodec: '"json" | "string" | "raw" | Codec',
  logger: 'pino Logger',
};

function typeOf(name: string, schema: ZodLike): string {
  const def = schema._zod.def;
  switch (def.type) {
    case 'default':
    case 'optional':
      return typeOf(name, def.innerType!);
    case 'pipe':
      return typeOf(name, def.in!);
    case 'union':
      return def.options!.map((o) => typeOf(name, o)).join(' | ');
    case 'array':
      return `${typeOf(name, def.element!)}[]`;
    case 'enum':
      return Object.values(def.entries!)
        .map((v) => JSON.stringify(v))
        .join(' | ');
    case 'literal':
      return def.values!.map((v) => JSON.stringify(v)).join(' | ');
    case 'number': {
      const checks = (def.checks ?? []).map((c) => c._zod.def);
      let type = checks.some((c) => c.check === 'number_format') ? 'integer' : 'number';
      for (const c of checks) {
        if (c.check === 'greater_than') type += ` ${c.inclusive ? '≥' : '>'} ${c.value}`;
        if (c.check === 'less_than') type += ` ${c.inclusive ? '≤' : '<'} ${c.value}`;
      }
      return type;
    }
    case 'custom':
      return CUSTOM_TYPES[name] ?? 'custom';
    default:
      return def.type;
  }
}

function defaultOf(schema: ZodLike): string {
  const def = schema._zod.def;
  if (def.type === 'pipe') return defaultOf(def.in!);
  if (def.type === 'optional') return '—';
  if (def.type !== 'default') return 'required';
  const value = typeof def.defaultValue === 'function' ? def.defaultValue() : def.defaultValue;
  return `\`${JSON.stringify(value)}\``;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function renderSettings(): Promise<string> {
  // the source file itself (not the built package), so the table follows the schema as it is now
  const { appSettingsSchema } = (await import(pathToFileURL(SETTINGS_SOURCE).href)) as {
    appSettingsSchema: { shape: object };
  };
  const rows = Object.entries(appSettingsSchema.shape as Record<string, ZodLike>).map(([name, schema]) => {
    const type = `\`${typeOf(name, schema).replace(/\|/g, '\\|')}\``;
    return `| \`${name}\` | ${type} | ${defaultOf(schema)} | ${cell(schema.description ?? '')} |`;
  });
  return ['| name | type | default | description |', '|---|---|---|---|', ...rows].join('\n');
}

async function checkSettings(write: boolean): Promise<boolean> {
  const path = join(ROOT, SETTINGS_DOC);
  const text = readFileSync(path, 'utf8');
  const start = '<!-- settings-table:start -->';
  const end = '<!-- settings-table:end -->';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) {
    console.error(`${SETTINGS_DOC}: no ${start} ... ${end} block`);
    return false;
  }
  const table = await renderSettings();
  const current = text.slice(from + start.length, to).trim();
  if (current === table) return true;
  if (write) {
    writeFileSync(path, `${text.slice(0, from + start.length)}\n${table}\n${text.slice(to)}`);
    console.log(`${SETTINGS_DOC}: settings table rewritten from the schema`);
    return true;
  }
  const line = text.slice(0, from).split('\n').length;
  const have = new Set(current.split('\n'));
  const differing = table.split('\n').filter((row) => !have.has(row));
  console.error(
    `${SETTINGS_DOC}:${line}: the settings table differs from appSettingsSchema; rows as rendered:`,
  );
  for (const row of differing) console.error(`  ${row}`);
  console.error('  (run with --write-settings to rewrite it)');
  return false;
}

// Main

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const keep = args.includes('--keep');
  const writeSettings = args.includes('--write-settings');
  const docs = args.filter((a) => !a.startsWith('--'));
  const files = (docs.length > 0 ? docs : DEFAULT_DOCS).filter((d) => existsSync(join(ROOT, d)));
  let ok = true;
  if (files.includes(SETTINGS_DOC)) ok = (await checkSettings(writeSettings)) && ok;
  const snippets: Snippet[] = [];
  let unmarked = 0;
  for (const doc of files) {
    const found = extract(doc);
    snippets.push(...found.snippets);
    unmarked += found.unmarked;
  }
  try {
    writeSnippets(snippets);
    const failures = snippets.length > 0 ? typeCheck(snippets) : 0;
    const fragments = snippets.filter((s) => s.prelude).length;
    console.log(
      `${failures === 0 ? 'ok' : `${failures} error(s)`}: ${snippets.length} snippets (${fragments} fragments) ` +
        `from ${files.join(', ')}; ${unmarked} unmarked ts block(s) not checked`,
    );
    ok = failures === 0 && ok;
  } finally {
    if (!keep) rmSync(OUT, { recursive: true, force: true });
  }
  return ok ? 0 : 1;
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  return 1;
});
