/**
 * The Strom app every bench program runs: raw keys on the input (they pass through unread),
 * JSON values without a schema, 4 partitions, other settings default.
 */
import { fork } from 'node:child_process';
import { App, type AppOptions, stopOnSignals, type Topic, type TopicOptions } from '@strom/core';
import { type Ride, report, type SystemConfig } from '../protocol.js';
import { countRequests } from '../request-counter.js';

export function benchApp(config: SystemConfig): App {
  return new App({
    id: config.group,
    broker: config.broker,
    keyCodec: 'raw',
    topicPartitions: 4,
    logLevel: 'warn',
    processingGuarantee: process.env.BENCH_GUARANTEE === 'exactly_once' ? 'exactly_once' : 'at_least_once',
    // a record per write, as the other systems, unless the run measures the default (strom-percommit)
    tableChangelog: process.env.BENCH_CHANGELOG === 'per-commit' ? 'per-commit' : 'every-update',
    // experiments: BENCH_STROM_OPTIONS='{"partitionsConsumedConcurrently":2}' pnpm bench ...
    ...(JSON.parse(process.env.BENCH_STROM_OPTIONS ?? '{}') as Partial<AppOptions>),
  });
}

/** The input and the latency-probe topic, read alike (values as JSON, keys as bytes). */
export function rideTopics(
  app: App,
  config: SystemConfig,
  options: TopicOptions<Ride, Buffer> = {},
): Topic<Ride, Buffer>[] {
  return [config.input, config.probe].map((name) => app.topic<Ride, Buffer>(name, options));
}

/** Stops the program when a derived topic is not the one the harness created for it. */
export function expectTopic(actual: string, expected: string): void {
  if (actual !== expected) throw new Error(`Strom derived the topic ${actual}, the harness made ${expected}`);
}

/**
 * Runs the app's worker until SIGTERM; reports `ready` once it consumes. With BENCH_PROCESSES=N
 * (N > 1) this process only forks N copies of the program, which run the workers (members of one
 * group, as under `strom worker --processes N`), and stops them on SIGTERM.
 */
export async function runWorker(app: App): Promise<void> {
  const processes = Number(process.env.BENCH_PROCESSES ?? 1);
  if (processes > 1 && process.env.BENCH_PROCESS_INDEX === undefined) {
    process.exitCode = await superviseCopies(processes);
    return;
  }
  if (process.env.BENCH_COUNT_REQUESTS === '1') countRequests(Number(process.env.BENCH_PROCESS_INDEX ?? 0));
  const worker = app.createWorker();
  stopOnSignals(worker);
  await worker.start();
  report({ ready: Date.now() });
  process.exitCode = await worker.finished;
}

/** Forks `processes` copies of this program (their output is ours); resolves with the worst exit code. */
async function superviseCopies(processes: number): Promise<number> {
  const children = Array.from({ length: processes }, (_, index) =>
    fork(process.argv[1]!, process.argv.slice(2), {
      env: { ...process.env, BENCH_PROCESS_INDEX: String(index) },
      execArgv: childExecArgv(index),
      stdio: 'inherit',
    }),
  );
  const stop = () => {
    for (const child of children) child.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const codes = await Promise.all(
    children.map((child) => new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)))),
  );
  return Math.max(...codes);
}

/**
 * This process's Node flags for child `index`: under `--profile` (`--cpu-prof-name x.cpuprofile`)
 * each child writes `x.process<index>.cpuprofile`, so the children do not overwrite one profile.
 */
function childExecArgv(index: number): string[] {
  return process.execArgv.map((arg, i) =>
    process.execArgv[i - 1] === '--cpu-prof-name'
      ? arg.replace(/(\.cpuprofile)?$/, `.process${index}$1`)
      : arg,
  );
}
