/**
 * `pnpm bench`: Strom against a hand-written kafkajs program and Faust, same work, same input,
 * same broker, in one run; writes docs/benchmarks.md.
 *
 *   pnpm bench [--scenario name] [--events N] [--runs R] [--json]
 *   pnpm bench --events 200000 --runs 1            # a quick check
 *   pnpm bench --help
 *
 * Steps: build @strom/core (dist) and transpile bench/systems; set up bench/faust/.venv when
 * missing; start the local broker unless one runs (and stop it at the end only if this started
 * it); per scenario produce the input once, then run every system `--runs` times, interleaved;
 * clean up every topic and group it created.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { syntheticRides } from '../examples/taxi/synthetic.js';
import { layout } from '../scripts/kafka/config.js';
import { startKafka, stopKafka } from '../scripts/kafka/launcher.js';
import { defaultPort, defaultStateDir } from '../scripts/kafka/paths.js';
import { BenchAdmin, connectProducer, kafkaClient, produceAll, uniqueName } from './lib/broker.js';
import { waitForQuiet } from './lib/cpu.js';
import { ensureFaust } from './lib/faust.js';
import { describeMachine } from './lib/machine.js';
import { liveProcesses } from './lib/processes.js';
import { renderMarkdown, summarize } from './lib/report.js';
import { loadStore, mergeEntries, type StoredEntry, saveStore, storedSettings } from './lib/store.js';
import {
  BENCH_DIR,
  buildSystemPrograms,
  DEFAULT_SYSTEMS,
  programFor,
  REPO_DIR,
  SYSTEMS,
  type SystemName,
  stromRevision,
} from './lib/systems.js';
import { rideMessage } from './scenarios/common.js';
import { allScenarios } from './scenarios/index.js';
import type { BenchSettings, ImplementedScenario, RunResult } from './scenarios/types.js';

const HELP = `pnpm bench [options]

Runs the benchmark scenarios on Strom, a hand-written kafkajs program and Faust, stores their
results in docs/benchmarks.json (replacing those of the same scenario and system, keeping the
others) and renders docs/benchmarks.md from all stored results.

Options:
  --scenario <name>     only this scenario (repeatable); default: every implemented one
  --events <N>          input rides per scenario (default 1000000)
  --runs <R>            runs per system (default 3); the report gives the median and spread
  --json                also print one JSON object per run on stdout
  --systems <a,b>       systems to run (default ${DEFAULT_SYSTEMS.join(',')}; also: strom-zod)
  --seed <n>            seed of the synthetic rides (default 1)
  --timeout <s>         limit per run (default 120 + events/1000)
  --probe-rate <n>      latency probe rides per second (default 200; 0 = no probe)
  --probe-seconds <s>   latency probe length (default 10)
  --retries <n>         measure a run again when other processes took over 0.6 cores
                        during it, up to n times (default 2)
  --quiet-wait <s>      longest wait for a quiet machine before each run (default 180; 0 on
                        a machine known to be shared: runs are then marked busy, not retried)
  --profile             run the node systems with --cpu-prof (profiles in bench/results/profiles/)
  --out <file>          write the report to <file> and the results to <file>.json (.md
                        replaced), starting from docs/benchmarks.json; docs/ is untouched
  --no-docs             write no report and store no results (bench/results/ only)
  --report-only         run nothing: render the report from the stored results
  --processes <N>       also run Strom as N worker processes (the strom-processes system,
                        shown as "strom --processes N") beside strom, interleaved
  --guarantee exactly_once
                        also run Strom exactly-once (the strom-eos system) beside strom,
                        interleaved: what exactly-once costs
  --baseline <dist>     also run Strom on this build of @strom/core (a copy of another
                        checkout's packages/core/dist: the strom-baseline system) beside
                        strom, interleaved: the before and after of a change
  --baseline-options <json>
                        app options of the strom-baseline system (default: those of strom;
                        without --baseline it runs strom's build)
  -h, --help            this help

Scenarios: ${allScenarios()
  .map((s) => `${s.name}${s.implemented ? '' : ' (not yet implemented)'}`)
  .join(', ')}`;

function fail(message: string): never {
  console.error(`pnpm bench: ${message}\n\n${HELP}`);
  process.exit(2);
}

function positiveInt(name: string, raw: string | undefined, fallback: number, allowZero = false): number {
  if (raw === undefined) return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1))
    fail(`--${name} must be a whole number, got ${raw}`);
  return value;
}

const OPTIONS = {
  scenario: { type: 'string', multiple: true },
  events: { type: 'string' },
  runs: { type: 'string' },
  json: { type: 'boolean', default: false },
  systems: { type: 'string' },
  seed: { type: 'string' },
  timeout: { type: 'string' },
  'probe-rate': { type: 'string' },
  'probe-seconds': { type: 'string' },
  retries: { type: 'string' },
  profile: { type: 'boolean', default: false },
  out: { type: 'string' },
  'no-docs': { type: 'boolean', default: false },
  'report-only': { type: 'boolean', default: false },
  guarantee: { type: 'string' },
  processes: { type: 'string' },
  'quiet-wait': { type: 'string' },
  baseline: { type: 'string' },
  'baseline-options': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;
const args = (() => {
  try {
    return parseArgs({ options: OPTIONS, allowPositionals: false }).values;
  } catch (error) {
    return fail((error as Error).message);
  }
})();
if (args.help) {
  console.log(HELP);
  process.exit(0);
}

const scenarios = allScenarios();
const docsStore = join(REPO_DIR, 'docs', 'benchmarks.json');
const reportFile = args.out ?? join(REPO_DIR, 'docs', 'benchmarks.md');
const storeFile = args.out === undefined ? docsStore : `${args.out.replace(/\.md$/, '')}.json`;
const changesFile = join(BENCH_DIR, 'hot-path-changes.md');
const hotPathChanges = existsSync(changesFile) ? readFileSync(changesFile, 'utf8') : undefined;
if (args['report-only']) {
  const store = loadStore(existsSync(storeFile) ? storeFile : docsStore);
  writeFileSync(reportFile, renderMarkdown({ store, scenarios, hotPathChanges }));
  console.error(`[bench] wrote ${reportFile} from ${existsSync(storeFile) ? storeFile : docsStore}`);
  process.exit(0);
}
const wanted = args.scenario ?? scenarios.filter((s) => s.implemented).map((s) => s.name);
const chosen: ImplementedScenario[] = [];
for (const name of wanted) {
  const scenario = scenarios.find((s) => s.name === name);
  if (!scenario) fail(`unknown scenario "${name}"`);
  if (!scenario.implemented) {
    console.error(`pnpm bench: scenario "${name}" is not yet implemented: ${scenario.blockedBy}`);
    process.exit(2);
  }
  chosen.push(scenario);
}
let systems: SystemName[] = [...DEFAULT_SYSTEMS];
if (args.systems !== undefined) {
  systems = args.systems.split(',').map((s) => s.trim()) as SystemName[];
  for (const s of systems)
    if (!SYSTEMS.includes(s)) fail(`unknown system "${s}" (one of ${SYSTEMS.join(', ')})`);
}
if (args.guarantee !== undefined) {
  if (args.guarantee !== 'exactly_once') fail(`--guarantee takes exactly_once, got ${args.guarantee}`);
  if (!systems.includes('strom-eos')) systems.push('strom-eos');
}
if (args.processes !== undefined && !systems.includes('strom-processes')) systems.push('strom-processes');
if (args.baseline !== undefined && !existsSync(join(args.baseline, 'index.js')))
  fail(`--baseline ${args.baseline} has no index.js (give a packages/core/dist directory)`);
if (args['baseline-options'] !== undefined) {
  try {
    JSON.parse(args['baseline-options']);
  } catch {
    fail(`--baseline-options must be JSON, got ${args['baseline-options']}`);
  }
}
if (
  (args.baseline !== undefined || args['baseline-options'] !== undefined) &&
  !systems.includes('strom-baseline')
)
  systems.unshift('strom-baseline');
const events = positiveInt('events', args.events, 1_000_000);
const resultsDir = join(BENCH_DIR, 'results');
const settings: BenchSettings = {
  events,
  runs: positiveInt('runs', args.runs, 3),
  seed: positiveInt('seed', args.seed, 1, true),
  timeoutMs: positiveInt('timeout', args.timeout, Math.round(120 + events / 1000)) * 1000,
  probeRate: positiveInt('probe-rate', args['probe-rate'], 200, true),
  probeSeconds: positiveInt('probe-seconds', args['probe-seconds'], 10),
  maxOtherCores: 0.6,
  retries: positiveInt('retries', args.retries, 2, true),
  processes: positiveInt('processes', args.processes, 2),
  cpuProfileDir: args.profile ? join(resultsDir, 'profiles') : undefined,
  logDir: join(resultsDir, 'logs'),
};
const quietWaitMs = positiveInt('quiet-wait', args['quiet-wait'], 180, true) * 1000;
const command = `pnpm bench ${process.argv.slice(2).join(' ')}`.trim();
const log = (message: string) => console.error(`[bench] ${message}`);

mkdirSync(settings.logDir, { recursive: true });
if (settings.cpuProfileDir) mkdirSync(settings.cpuProfileDir, { recursive: true });

// 1. what runs is what users run: @strom/core's dist, the system programs as plain JS
log('building @strom/core (tsc -b packages/core) and the system programs');
const tsc = spawnSync(join(REPO_DIR, 'node_modules', '.bin', 'tsc'), ['-b', 'packages/core'], {
  cwd: REPO_DIR,
  stdio: 'inherit',
});
if (tsc.status !== 0) {
  console.error('pnpm bench: building @strom/core failed');
  process.exit(1);
}
buildSystemPrograms(args.baseline);
const strom = stromRevision();

// 2. Faust's venv
const unavailable = new Map<SystemName, string>();
/** Notes on a system's setup in this invocation (stored with its results). */
const setupNotes = new Map<SystemName, string[]>();
let faustVersions: Record<string, string> | undefined;
if (systems.includes('faust')) {
  const setup = ensureFaust(log);
  if (setup.ok) {
    faustVersions = setup.versions;
    setupNotes.set('faust', setup.notes);
  } else {
    log(`Faust cannot run: ${setup.reason}`);
    unavailable.set('faust', setup.reason);
  }
}

// 3. the broker
const kafkaStarted = await startKafka({ log: (m) => log(`kafka: ${m}`) });
const brokers = kafkaStarted.bootstrap;
const brokerPid = brokerProcess(kafkaStarted.deployment);
const kafka = kafkaClient(brokers);
const admin = await BenchAdmin.connect(kafka);
const results: RunResult[] = [];
const ran: Array<{
  scenario: ImplementedScenario;
  facts: Record<string, string | number>;
  produceSeconds: number;
}> = [];

const faustData = mkdtempSync(join(tmpdir(), 'strom-bench-faust-'));
const onSignal = () => {
  log('interrupted: stopping the system under test');
  void Promise.allSettled([...liveProcesses].map((p) => p.stop(1000)))
    .then(() => admin.deleteTopics([], [...admin.pending]))
    .finally(() => process.exit(130));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

try {
  for (const scenario of chosen) {
    // 4. the input, once per scenario: every system reads this same topic
    const input = uniqueName(`strom-bench-${scenario.name}-in`);
    await admin.createTopics([{ name: input }]);
    try {
      log(`${scenario.name}: producing ${events.toLocaleString('en-US')} rides to ${input}`);
      const producer = await connectProducer(kafka);
      const t0 = performance.now();
      let index = 0;
      let bytes = 0;
      const messages = (function* () {
        for (const ride of syntheticRides(events, settings.seed)) {
          scenario.observe(ride, index);
          const message = rideMessage(ride, index);
          bytes += message.key.length + message.value.length;
          yield message;
          index += 1;
        }
      })();
      await produceAll(producer, input, messages);
      await producer.disconnect();
      const produceSeconds = (performance.now() - t0) / 1000;
      const facts = {
        'input record size (key + value, average)': `${Math.round(bytes / events)} bytes`,
        ...scenario.inputFacts(),
      };
      log(`${scenario.name}: produced in ${produceSeconds.toFixed(1)} s; ${JSON.stringify(facts)}`);
      ran.push({ scenario, facts, produceSeconds });

      // 5. runs, systems interleaved
      for (let run = 1; run <= settings.runs; run++) {
        for (const system of systems) {
          if (unavailable.has(system)) continue;
          let result: RunResult;
          for (let attempt = 1; ; attempt++) {
            const quiet = await waitForQuiet(brokerPid, {
              log,
              maxOtherCores: settings.maxOtherCores,
              maxWaitMs: quietWaitMs,
            });
            log(
              `${scenario.name}: ${system} run ${run}/${settings.runs}` +
                (attempt > 1 ? ` (attempt ${attempt})` : '') +
                (quiet.waitedMs > 500
                  ? ` (waited ${Math.round(quiet.waitedMs / 1000)} s for a quiet machine)`
                  : ''),
            );
            result = await scenario.runOnce({
              kafka,
              admin,
              brokers,
              brokerPid,
              settings,
              input,
              system,
              run,
              program: (options) =>
                programFor(system, {
                  ...options,
                  scenario: scenario.name,
                  processes: settings.processes,
                  baselineOptions: args['baseline-options'],
                  env: {
                    ...options.env,
                    BENCH_DATADIR: join(faustData, `${scenario.name}-${system}-${run}-${attempt}`),
                  },
                  cpuProfileDir: settings.cpuProfileDir,
                }),
            });
            // another process took CPU from the system under test: measure again, up to --retries times
            const other = result.detail?.otherCores;
            if (!result.ok || typeof other !== 'number' || other <= settings.maxOtherCores) break;
            if (attempt > settings.retries) {
              result.busy = true;
              log(
                `${scenario.name}: ${system} run ${run}: the machine stayed busy (${other} other cores); counted`,
              );
              break;
            }
            log(
              `${scenario.name}: ${system} run ${run}: ${Math.round(result.eventsPerSec)} events/s while other processes used ${other} cores: not counted, measuring again`,
            );
            results.push({ ...result, repeated: true });
          }
          results.push(result);
          log(
            result.ok
              ? `${scenario.name}: ${system} run ${run}: ${Math.round(result.eventsPerSec).toLocaleString('en-US')} events/s (${result.seconds.toFixed(2)} s), latency p50 ${result.p50Ms} ms p99 ${result.p99Ms} ms, peak RSS ${result.rssMb.toFixed(0)} MiB ${JSON.stringify(result.detail ?? {})}`
              : `${scenario.name}: ${system} run ${run} FAILED: ${result.problem}`,
          );
          if (args.json) {
            console.log(
              JSON.stringify({
                scenario: result.scenario,
                system: result.system,
                events: result.events,
                seconds: round(result.seconds, 3),
                eventsPerSec: round(result.eventsPerSec, 0),
                p99Ms: round(result.p99Ms, 1),
                rssMb: round(result.rssMb, 1),
                p50Ms: round(result.p50Ms, 1),
                run: result.run,
                ok: result.ok,
                ...(result.problem ? { problem: result.problem } : {}),
              }),
            );
          }
        }
      }
    } finally {
      await admin.deleteTopics([input]);
    }
    for (const system of systems) {
      const s = summarize(
        results.filter((r) => r.scenario === scenario.name),
        system,
      );
      if (s.runs > 0) {
        log(
          `${scenario.name}: ${system}: median ${Math.round(s.medianEps).toLocaleString('en-US')} events/s (${Math.round(s.minEps)}–${Math.round(s.maxEps)}), ${s.ok}/${s.runs} runs ok`,
        );
      }
    }
  }
} finally {
  rmSync(faustData, { recursive: true, force: true });
  await admin.disconnect();
  if (kafkaStarted.startedByUs) await stopKafka({ log: (m) => log(`kafka: ${m}`) });
}

// 6. the report
const date = new Date();
const machine = describeMachine(kafkaStarted.version, strom, faustVersions);
const stamp = date.toISOString().replace(/[:.]/g, '-');
writeFileSync(
  join(resultsDir, `${stamp}.json`),
  `${JSON.stringify({ command, date, machine, settings, systems, results }, null, 2)}\n`,
);
if (!args['no-docs']) {
  const previous = loadStore(existsSync(storeFile) ? storeFile : docsStore);
  const entries: StoredEntry[] = [];
  for (const { scenario, facts, produceSeconds } of ran) {
    for (const system of systems) {
      const reason = unavailable.get(system);
      // a system that could not run keeps its earlier results
      if (reason && previous.entries.some((e) => e.scenario === scenario.name && e.system === system))
        continue;
      entries.push({
        scenario: scenario.name,
        system,
        command,
        date: date.toISOString(),
        machine,
        settings: storedSettings(settings),
        facts,
        produceSeconds: Number(produceSeconds.toFixed(1)),
        results: results.filter((r) => r.scenario === scenario.name && r.system === system),
        notes: setupNotes.get(system) ?? [],
        ...(reason ? { unavailable: reason } : {}),
      });
    }
  }
  const store = mergeEntries(previous, entries);
  saveStore(storeFile, store);
  writeFileSync(reportFile, renderMarkdown({ store, scenarios, hotPathChanges }));
  log(`wrote ${storeFile} and ${reportFile}`);
}
process.exit(results.every((r) => r.ok) ? 0 : 1);

/** The pid of a single local broker started by scripts/kafka (its CPU is reported apart). */
function brokerProcess(deployment: string): number | undefined {
  if (deployment !== 'single') return undefined;
  try {
    const node = layout(defaultStateDir(), 1, defaultPort()).nodes[0]!;
    const pid = Number(readFileSync(node.pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function round(x: number, digits: number): number | null {
  return Number.isFinite(x) ? Number(x.toFixed(digits)) : null;
}
