/**
 * The systems a scenario runs on, and how each is started as a process.
 *
 * - strom:     bench/systems/strom/<scenario>.ts on the built @strom/core (dist), plain node
 * - kafkajs:   bench/systems/kafkajs/<scenario>.ts, a hand-written kafkajs program, plain node
 * - faust:     bench/faust/bench_app.py on faust-streaming in bench/faust/.venv
 * - strom-zod: the strom program with the taxi example's zod schemas on the values (opt-in)
 * - strom-eos: the strom program with processingGuarantee 'exactly_once' (opt-in, or --guarantee)
 * - strom-percommit: the strom program with tableChangelog 'per-commit' (opt-in)
 * - strom-processes: the strom program as N worker processes (`--processes N`), shown as
 *   `strom --processes N`
 * - strom-baseline: the strom program on another build of @strom/core (`--baseline <dist>`) or
 *   other settings (`--baseline-options <json>`): a before/after of a change in one invocation
 *
 * The TypeScript programs are transpiled (no type-check; `pnpm build` does that) into
 * bench/.build/ before a bench, so the measured process runs no TypeScript loader.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { ProgramSpec } from './processes.js';

export const SYSTEMS = [
  'strom',
  'strom-processes',
  'kafkajs',
  'faust',
  'strom-zod',
  'strom-eos',
  'strom-percommit',
  'strom-baseline',
] as const;
export type SystemName = (typeof SYSTEMS)[number];
export const DEFAULT_SYSTEMS: readonly SystemName[] = ['strom', 'kafkajs', 'faust'];

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const REPO_DIR = dirname(BENCH_DIR);
export const BUILD_DIR = join(BENCH_DIR, '.build');
export const FAUST_DIR = join(BENCH_DIR, 'faust');
export const VENV_DIR = join(FAUST_DIR, '.venv');

export const SYSTEM_DESCRIPTIONS: Record<SystemName, string> = {
  strom:
    'Strom (`@strom/core` built, from a snapshot of `dist/` taken when the bench starts), `bench/systems/strom/`: one agent per scenario as the guides show (stateless: an `async function*` whose yields go to a sink topic; stateful and windowed: `groupBy` and a table or windowed table, memory store); raw input keys, JSON values without a schema, default settings but `tableChangelog: "every-update"` (see the notes).',
  kafkajs:
    'Hand-written kafkajs 2.2.4 programs, `bench/systems/kafkajs/`: `eachBatch` (4 partitions concurrently), one `producer.send` (acks -1) per fetched batch, offsets resolved after the acks and committed by kafkajs after each batch; tables are a `Map` per partition.',
  faust:
    'faust-streaming 0.15.3 (aiokafka 0.14.0) in `bench/faust/.venv`, `bench/faust/bench_app.py`: one agent per scenario, `value_serializer="json"`, raw input keys, `store="memory://"`, `producer_acks=-1`, at-least-once, web server off, other settings default.',
  'strom-zod':
    "The Strom program with the taxi example's zod schema on the values (`topic(..., { value: TaxiRide })`): what validation costs.",
  'strom-processes':
    "The Strom program run as N worker processes of the app (`--processes N`, as `strom worker --processes N` runs them): members of one consumer group, forked by a parent that forwards SIGTERM; CPU summed over all of them. Default `standbys: 1`: each process keeps a standby copy of the other processes' table partitions and so reads their changelog records (one per ride with the bench's every-update changelog), which a single process does not.",
  'strom-eos':
    "The Strom program with `processingGuarantee: 'exactly_once'`: a transactional producer per input partition, outputs, changelog records and offsets committed in one transaction per fetched batch.",
  'strom-percommit':
    "The Strom program with `tableChangelog: 'per-commit'` (Kafka Streams' record cache): one changelog record per changed key per commit instead of one per update; checked by each key's last count, not by a record per ride.",
  'strom-baseline':
    'The Strom program on a baseline: another build of `@strom/core` (`--baseline <dist dir>`, snapshotted like the other) and/or other app options (`--baseline-options <json>`), interleaved with strom: the "before" of a hot-path change.',
};

/** Settings a system runs with that differ from its defaults, and why: printed in the report. */
export const SYSTEM_NOTES: Partial<Record<SystemName, string>> = {
  strom:
    "strom runs with `tableChangelog: 'every-update'`, a changelog record per table write as the kafkajs program and Faust write, so the stateful and windowed scenarios can check one record per ride; Strom's default, 'per-commit', is the strom-percommit row (docs/decisions/0011).",
};

/**
 * Transpiles bench/systems/**\/*.ts to bench/.build/systems/**\/*.js (ES2022, ESM), and takes a
 * snapshot of @strom/core's dist/ for them: other people's `pnpm build` during a long bench must
 * not change (or half-write) the Strom that later runs load. The programs' `@strom/core` imports
 * point at the snapshot, which resolves its own dependencies through core's node_modules.
 */
export function buildSystemPrograms(baselineDist?: string): void {
  transpileSystemPrograms('systems', snapshotCore('strom-core', join(REPO_DIR, 'packages', 'core', 'dist')));
  // the baseline's programs are the same, on its own snapshot (the strom-baseline system)
  transpileSystemPrograms('systems-baseline', snapshotCore('strom-core-baseline', baselineDist));
  // the repo's package.json says "type": "module"; say it here too in case bench/ is copied alone
  writeFileSync(join(BUILD_DIR, 'package.json'), '{ "type": "module" }\n');
}

/** Copies `dist` to bench/.build/<name>/dist (default: core's own dist); returns its index.js. */
function snapshotCore(name: string, dist = join(REPO_DIR, 'packages', 'core', 'dist')): string {
  const snapshot = join(BUILD_DIR, name);
  rmSync(snapshot, { recursive: true, force: true });
  cpSync(dist, join(snapshot, 'dist'), { recursive: true });
  symlinkSync(join(REPO_DIR, 'packages', 'core', 'node_modules'), join(snapshot, 'node_modules'), 'dir');
  return join(snapshot, 'dist', 'index.js');
}

/** bench/systems/**\/*.ts to bench/.build/<outName>/**\/*.js, `@strom/core` pointing at `core`. */
function transpileSystemPrograms(outName: string, core: string): void {
  const sourceRoot = join(BENCH_DIR, 'systems');
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return walk(path);
      return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
    });
  for (const file of walk(sourceRoot)) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        verbatimModuleSyntax: true,
        sourceMap: false,
      },
    });
    const target = join(BUILD_DIR, outName, relative(sourceRoot, file).replace(/\.ts$/, '.js'));
    const relativeCore = relative(dirname(target), core);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(
      target,
      outputText.replace(/(['"])@strom\/core\1/g, `'./${relativeCore}'`.replace('./../', '../')),
    );
  }
}

/** The commit of packages/core the bench runs, and whether it has uncommitted changes. */
export function stromRevision(): string {
  const git = (...args: string[]) =>
    spawnSync('git', args, { cwd: REPO_DIR, encoding: 'utf8' }).stdout?.trim() ?? '';
  const commit = git('log', '-1', '--format=%h', '--', 'packages/core');
  const dirty = git('status', '--porcelain', '--', 'packages/core/src') !== '';
  return `${commit || 'unknown'}${dirty ? ' + uncommitted changes' : ''}`;
}

export interface ProgramOptions {
  scenario: string;
  /** Worker processes of the strom-processes system. */
  processes?: number;
  /** App options (JSON) of the strom-baseline system, instead of BENCH_STROM_OPTIONS. */
  baselineOptions?: string;
  env: Record<string, string>;
  /** Directory for `node --cpu-prof` profiles of the node systems (none: no profiling). */
  cpuProfileDir?: string;
}

export function programFor(system: SystemName, options: ProgramOptions): ProgramSpec {
  const env = { ...options.env, BENCH_SCENARIO: options.scenario };
  if (system === 'faust') {
    // --without-web: the worker command turns Faust's web server on whatever web_enabled says (port 6066:
    // a second Faust worker on the machine would fail to bind it)
    const faustArgs = ['-A', 'bench_app', 'worker', '--without-web', '-l', 'warn'];
    const faust = join(VENV_DIR, 'bin', 'faust');
    return {
      // --profile: the whole worker under cProfile (written when the worker exits on SIGTERM)
      command: options.cpuProfileDir ? join(VENV_DIR, 'bin', 'python') : faust,
      args: options.cpuProfileDir
        ? [
            '-m',
            'cProfile',
            '-o',
            join(options.cpuProfileDir, `faust-${Date.now()}.pstats`),
            faust,
            ...faustArgs,
          ]
        : faustArgs,
      cwd: FAUST_DIR,
      env: { ...env, PYTHONUNBUFFERED: '1' },
    };
  }
  const program = system.startsWith('strom') ? 'strom' : system;
  const nodeArgs = options.cpuProfileDir
    ? [
        '--cpu-prof',
        '--cpu-prof-dir',
        options.cpuProfileDir,
        '--cpu-prof-name',
        `${system}-${Date.now()}.cpuprofile`,
      ]
    : [];
  return {
    command: process.execPath,
    args: [
      ...nodeArgs,
      join(
        BUILD_DIR,
        system === 'strom-baseline' ? 'systems-baseline' : 'systems',
        program,
        `${options.scenario}.js`,
      ),
    ],
    cwd: REPO_DIR,
    env: {
      ...env,
      NODE_ENV: 'production',
      ...(system === 'strom-zod' ? { BENCH_VALIDATE: '1' } : {}),
      ...(system === 'strom-eos' ? { BENCH_GUARANTEE: 'exactly_once' } : {}),
      ...(system === 'strom-percommit' ? { BENCH_CHANGELOG: 'per-commit' } : {}),
      ...(system === 'strom-processes' ? { BENCH_PROCESSES: String(options.processes ?? 2) } : {}),
      ...(system === 'strom-baseline' && options.baselineOptions !== undefined
        ? { BENCH_STROM_OPTIONS: options.baselineOptions }
        : {}),
    },
  };
}
