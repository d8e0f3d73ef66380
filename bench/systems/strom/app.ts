/**
 * The Strom app every bench program runs: raw keys on the input (they pass through unread),
 * JSON values without a schema, 4 partitions, other settings default.
 */
import { App, type AppOptions, stopOnSignals, type Topic, type TopicOptions } from '@strom/core';
import { type Ride, report, type SystemConfig } from '../protocol.js';

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

/** Runs the app's worker until SIGTERM; reports `ready` once it consumes. */
export async function runWorker(app: App): Promise<void> {
  const worker = app.createWorker();
  stopOnSignals(worker);
  await worker.start();
  report({ ready: Date.now() });
  process.exitCode = await worker.finished;
}
