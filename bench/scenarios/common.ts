/**
 * Steps every scenario's run shares: waiting for a system to finish the input, the latency
 * probe, and turning a measurement into a {@link RunResult}.
 */
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import type { TaxiRide } from '../../examples/taxi/rides.js';
import { rideKey, syntheticRides } from '../../examples/taxi/synthetic.js';
import { type BenchAdmin, PARTITIONS, sleep, type TopicReader, type TopicSpec } from '../lib/broker.js';
import { type CpuSnapshot, coresBetween, processCoresBetween } from '../lib/cpu.js';
import { SystemProcess } from '../lib/processes.js';
import { percentile } from '../lib/stats.js';
import type { SystemName } from '../lib/systems.js';
import type { RunContext, RunResult } from './types.js';

export interface SystemRun {
  /** The run's consumer group (and app id): every topic starting with it is deleted afterwards. */
  group: string;
  /** The topics the harness creates for the run (output and probe among them). */
  topics: TopicSpec[];
  probe: string;
  output: string;
  /** More environment for the program. */
  env?: Record<string, string>;
}

/**
 * One run of a system: creates the run's topics, starts the system's program, `measure`s it,
 * then stops it and deletes its topics and groups (the reader's too, if `measure` started one).
 */
export async function withSystem(
  context: RunContext,
  scenario: string,
  run: SystemRun,
  measure: (proc: SystemProcess, keepReader: (reader: TopicReader) => void) => Promise<RunResult>,
): Promise<RunResult> {
  const { admin } = context;
  admin.pending.add(run.group);
  await admin.createTopics(run.topics);
  const program = context.program({
    env: {
      BENCH_BROKER: context.brokers[0]!,
      BENCH_GROUP: run.group,
      BENCH_INPUT: context.input,
      BENCH_PROBE: run.probe,
      BENCH_OUTPUT: run.output,
      ...run.env,
    },
  });
  const logFile = join(context.settings.logDir, `${scenario}-${context.system}-run${context.run}.log`);
  const proc = new SystemProcess(program, logFile, context.brokerPid);
  let reader: TopicReader | undefined;
  try {
    return await measure(proc, (r) => {
      reader = r;
    });
  } finally {
    await reader?.stop();
    await proc.stop();
    await admin.deleteTopics(
      run.topics.map((t) => t.name),
      [run.group],
    );
    await admin.deleteGroups([run.group, ...(reader ? [reader.groupId] : [])]);
  }
}

/** Rides of the latency probe: a different seed than the input, the same for every run. */
export function probeRides(context: RunContext): TaxiRide[] {
  const { probeRate, probeSeconds, seed } = context.settings;
  return [...syntheticRides(Math.round(probeRate * probeSeconds), seed + 1_000_003)];
}

/** The input's message for ride `index`: key `{"vendorId":n}`, JSON value, partitions in turn. */
export function rideMessage(ride: TaxiRide, index: number) {
  return {
    key: Buffer.from(JSON.stringify(rideKey(ride))),
    value: Buffer.from(JSON.stringify(ride)),
    partition: index % PARTITIONS,
  };
}

/** The end of a run's timed part: when the output was complete, and what the system reported. */
export interface Drained {
  /** First input record consumed (the system's report), ms since the epoch. */
  first: number;
  /** When the harness saw the output complete, ms since the epoch. */
  observedEnd: number;
  /** CPU counters then. */
  atEnd: CpuSnapshot;
  /** The output's end offsets, 1 s later: exactly `expected` records. */
  ends: Map<number, number>;
}

/**
 * The timed part of a run: waits until `topic` holds `expected` records, then 1 s more, after
 * which it must still hold exactly that many (a duplicate would show up). A failed run's
 * result instead when it does not.
 */
/** Systems whose outputs carry transaction markers (their end offsets count those too). */
export function writesTransactions(system: SystemName): boolean {
  return system === 'strom-eos';
}

/** Systems whose tables write a changelog record per changed key per commit, not per update. */
export function coalescesChangelog(system: SystemName): boolean {
  return system === 'strom-percommit';
}

export async function drain(
  context: RunContext,
  scenario: string,
  proc: SystemProcess,
  topic: string,
  expected: number,
): Promise<Drained | RunResult> {
  const { admin, settings } = context;
  const fail = (problem: string, outputs = 0) =>
    failed(context, scenario, problem, proc.peakRssMb(), outputs);
  const waited = await waitForOutputs(admin, topic, expected, proc, Date.now() + settings.timeoutMs);
  if (!waited.done) return fail(waited.problem, waited.total);
  const atEnd = proc.cpuSnapshot();
  const first = proc.reported('first');
  if (first === undefined) return fail('the system never reported its first consumed record');
  await sleep(1000);
  const ends = await admin.endOffsets(topic);
  // a transactional writer leaves a commit marker per transaction and partition, which takes an
  // offset: there the end offsets may pass the records (reading back counts them one by one)
  const tooMany = ends.total > expected && !writesTransactions(context.system);
  if (ends.total < expected || tooMany)
    return fail(`${ends.total} records in ${topic}, expected ${expected}`, ends.total);
  return { first, observedEnd: waited.observedEnd, atEnd, ends: ends.partitions };
}

export type WaitOutcome =
  | { done: true; observedEnd: number; total: number }
  | { done: false; problem: string; total: number };

/**
 * Polls the end offsets of `topic` every `pollMs` until they sum to at least `expected`, the
 * process exits, or the run's deadline passes.
 */
export async function waitForOutputs(
  admin: BenchAdmin,
  topic: string,
  expected: number,
  process: SystemProcess,
  deadline: number,
  pollMs = 50,
): Promise<WaitOutcome> {
  for (;;) {
    const { total } = await admin.endOffsets(topic);
    if (total >= expected) return { done: true, observedEnd: Date.now(), total };
    const exit = process.exited;
    if (exit) {
      return {
        done: false,
        total,
        problem: `the process exited (code ${exit.code}, signal ${exit.signal}) after ${total} of ${expected} outputs; see ${process.logFile}`,
      };
    }
    if (Date.now() > deadline) {
      return {
        done: false,
        total,
        problem: `timeout: ${total} of ${expected} outputs; see ${process.logFile}`,
      };
    }
    await sleep(pollMs);
  }
}

/**
 * Sends `rides` to `topic` at `rate` per second in ticks of `tickMs`, partitions in turn, and
 * calls `appended(ride, appendTimeMs)` with the broker's append time of each (the topic uses
 * LogAppendTime, so the produce response carries it).
 */
export async function sendAtRate(
  producer: Producer,
  topic: string,
  rides: readonly TaxiRide[],
  rate: number,
  appended: (ride: TaxiRide, appendTimeMs: number) => void,
  tickMs = 10,
): Promise<void> {
  const start = Date.now();
  let sent = 0;
  while (sent < rides.length) {
    const due = Math.min(rides.length, Math.floor(((Date.now() - start) / 1000) * rate) + 1);
    if (due > sent) {
      const batch = rides.slice(sent, due);
      const messages = batch.map((ride, i) => rideMessage(ride, sent + i));
      const metadata = await producer.send({ topic, acks: -1, messages });
      const appendTimes = new Map(metadata.map((m) => [m.partition, Number(m.logAppendTime)]));
      for (let i = 0; i < batch.length; i++) {
        const time = appendTimes.get(messages[i]!.partition);
        if (time !== undefined && time > 0) appended(batch[i]!, time);
      }
      sent = due;
    }
    await sleep(tickMs);
  }
}

export function failed(
  context: RunContext,
  scenario: string,
  problem: string,
  rssMb: number | undefined,
  outputs = 0,
): RunResult {
  return {
    scenario,
    system: context.system,
    run: context.run,
    events: context.settings.events,
    seconds: Number.NaN,
    eventsPerSec: Number.NaN,
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    rssMb: rssMb ?? Number.NaN,
    outputs,
    ok: false,
    problem,
  };
}

/**
 * Cores the system, the broker and everything else used during the timed part, and the
 * system's CPU seconds per 1,000 input events (steadier than events/s on a shared machine).
 */
export function cpuDetail(
  start: CpuSnapshot | undefined,
  end: CpuSnapshot,
  events: number,
): Record<string, number | string> {
  if (start === undefined) return {};
  const use = coresBetween(start, end);
  if (use === undefined) return {};
  const perProcess = processCoresBetween(start, end);
  return {
    cores: use.system,
    ...(perProcess === undefined ? {} : { processCores: perProcess }),
    brokerCores: use.broker,
    otherCores: use.other,
    cpuSecondsPer1k: Number(((use.systemSeconds / events) * 1000).toFixed(4)),
  };
}

export interface Measurement {
  /** The system's first consumed record and the last output's append time, ms since the epoch. */
  first: number;
  lastAppend: number;
  /** When the harness saw the last output (end offsets polled), ms since the epoch. */
  observedEnd: number;
  /** CPU counters at the end of the timed part. */
  atEnd: CpuSnapshot;
  /** Output records checked against the expectation. */
  outputs: number;
  /** Latencies of the probe records, ms. */
  latencies: readonly number[];
  /** More to print in the per-run table. */
  detail?: Record<string, number | string>;
}

/** A counted run: events/s from the timed part, latency percentiles, RSS and CPU use. */
export function measuredResult(
  context: RunContext,
  scenario: string,
  proc: SystemProcess,
  m: Measurement,
): RunResult {
  const { events } = context.settings;
  const seconds = (m.lastAppend - m.first) / 1000;
  return {
    scenario,
    system: context.system,
    run: context.run,
    events,
    seconds,
    eventsPerSec: events / seconds,
    p50Ms: percentile(m.latencies, 50),
    p99Ms: percentile(m.latencies, 99),
    rssMb: proc.peakRssMb() ?? Number.NaN,
    outputs: m.outputs,
    ok: true,
    detail: {
      // the end as the harness saw it (end offsets polled every 50 ms), for comparison
      observedSeconds: Number(((m.observedEnd - m.first) / 1000).toFixed(3)),
      // process start -> first record consumed (connect, join the group, first fetch): not timed
      startupSeconds: Number(((m.first - proc.startedAt) / 1000).toFixed(3)),
      ...lastProcessConsuming(proc, m.first),
      probeSamples: m.latencies.length,
      ...m.detail,
      // CPU the system used from its first record to the end, in cores (1 = one core busy)
      ...cpuDetail(proc.atFirst, m.atEnd, events),
    },
  };
}

/**
 * A system of several worker processes (`strom --processes N`): seconds from the first record
 * consumed to the last process's first record, i.e. the part of the timed window in which not
 * every process had partitions yet (the group's rebalances as the processes join one by one).
 */
function lastProcessConsuming(proc: SystemProcess, first: number): Record<string, number> {
  const firsts = proc.reportedAll('first');
  if (firsts.length < 2) return {};
  return { lastProcessFirstSeconds: Number(((Math.max(...firsts) - first) / 1000).toFixed(3)) };
}
