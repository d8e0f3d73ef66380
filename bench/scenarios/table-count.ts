/**
 * What the stateful and windowed scenarios share: every system re-keys the rides through a
 * repartition topic and counts them per table key in a table whose every update is one record
 * on a compacted changelog topic. The harness creates both topics for every system alike
 * (`<group>-<name>-repartition` and `<group>-<table>-changelog`, the names Strom and Faust derive,
 * 4 partitions; the changelog with LogAppendTime), so the changelog's append times end the timing.
 *
 * A run: the system drains the input; the timed part ends when the changelog's end offsets sum to
 * the number of input rides (one update each). Then, 1 s later, the changelog must still hold
 * exactly that many records and the repartition topic exactly one record per ride (duplicates
 * would show). Every changelog record is read back: each key's counts must go 1, 2, 3, ... in
 * offset order (each ride counted once, in order) and end at the count the harness computed from
 * the input, for every key. The last append time ends the timing. Then the latency probe: rides
 * at a steady rate into the probe topic, each one more changelog record of its table key; per
 * key, the k-th probe ride sent is paired with the k-th new changelog record.
 *
 * A system whose tables write one changelog record per changed key per commit (strom-percommit)
 * cannot be counted that way: there the timed part ends when the changelog's last record of every
 * key holds the expected count, each key's counts must rise in offset order and never pass it,
 * and a probe ride's latency ends at the first record of its key that counts it.
 */
import type { TaxiRide } from '../../examples/taxi/rides.js';
import {
  connectProducer,
  LOG_APPEND_TIME,
  type OutputRecord,
  TopicReader,
  uniqueName,
} from '../lib/broker.js';
import type { SystemProcess } from '../lib/processes.js';
import {
  coalescesChangelog,
  drain,
  failed,
  measuredResult,
  probeRides,
  sendAtRate,
  withSystem,
  writesTransactions,
} from './common.js';
import type { ImplementedScenario, RunContext, RunResult } from './types.js';

/** One changelog record as the harness reads it: its table key (canonical text) and count. */
interface Update {
  key: string;
  count: number;
  appendedAt: number;
}

export abstract class TableCountScenario implements ImplementedScenario {
  abstract readonly name: string;
  readonly implemented = true;
  abstract readonly title: string;
  abstract readonly work: string;
  /** `groupBy`'s name: the repartition topic is `<group>-<name>-repartition`. */
  protected abstract readonly repartitionName: string;
  /** The table: its changelog is `<group>-<table>-changelog`. */
  protected abstract readonly tableName: string;
  /** The changelog's cleanup policy, as Strom and Faust would create it. */
  protected abstract readonly cleanupPolicy: string;
  /** The expected final count of every table key. */
  protected readonly expected = new Map<string, number>();
  protected inputs = 0;

  /** The table key a ride counts in, as canonical text (the same for every system). */
  protected abstract tableKey(ride: TaxiRide): string;
  /** A changelog record key of any system, as canonical text; undefined if it is no table key. */
  protected abstract decodeKey(key: string): string | undefined;
  /** Environment of the programs beyond the topics (e.g. the grace). */
  protected programEnv(): Record<string, string> {
    return {};
  }

  observe(ride: TaxiRide): void {
    this.inputs += 1;
    const key = this.tableKey(ride);
    this.expected.set(key, (this.expected.get(key) ?? 0) + 1);
  }

  inputFacts(): Record<string, string | number> {
    return { 'table keys': this.expected.size, 'expected changelog records': this.inputs };
  }

  async runOnce(context: RunContext): Promise<RunResult> {
    const group = uniqueName(`strom-bench-${this.name}-${context.system}`);
    const repartition = `${group}-${this.repartitionName}-repartition`;
    const changelog = `${group}-${this.tableName}-changelog`;
    const probe = `${group}-probe`;
    const topics = [
      { name: repartition },
      { name: changelog, config: { 'cleanup.policy': this.cleanupPolicy, ...LOG_APPEND_TIME } },
      { name: probe, config: LOG_APPEND_TIME },
    ];
    const env = { BENCH_REPARTITION: repartition, ...this.programEnv() };
    return withSystem(
      context,
      this.name,
      { group, topics, probe, output: changelog, env },
      (proc, keepReader) =>
        coalescesChangelog(context.system)
          ? this.measureCoalesced(context, proc, { changelog, repartition, probe }, keepReader)
          : this.measure(context, proc, { changelog, repartition, probe }, keepReader),
    );
  }

  private async measure(
    context: RunContext,
    proc: SystemProcess,
    topics: { changelog: string; repartition: string; probe: string },
    keepReader: (reader: TopicReader) => void,
  ): Promise<RunResult> {
    const { changelog } = topics;
    const expected = this.inputs;
    const fail = (problem: string, outputs = 0) =>
      failed(context, this.name, problem, proc.peakRssMb(), outputs);

    // 1. the timed part: until the changelog holds one update per ride, and 1 s later still
    // exactly that many (a ride counted twice would show up), and the repartition topic too
    const drained = await drain(context, this.name, proc, changelog, expected);
    if (!('ends' in drained)) return drained;
    const { first, ends } = drained;
    const repartitioned = (await context.admin.endOffsets(topics.repartition)).total;
    if (repartitioned < expected || (repartitioned > expected && !writesTransactions(context.system)))
      return fail(`${repartitioned} records in the repartition topic, expected ${expected}`, expected);

    // 3. read the changelog back: per key 1, 2, 3, ... up to the expected count
    const counts = new Map<string, number>();
    const probeUpdates: Update[] = [];
    const errors = { notKeys: 0, notCounts: 0, outOfSequence: 0, example: '' };
    let lastAppend = 0;
    const onRecord = (r: OutputRecord) => {
      const update = this.decodeUpdate(r);
      if (typeof update === 'string') {
        errors[update] += 1;
        errors.example ||= `${r.key?.toString('utf8')} = ${r.value?.toString('utf8')}`;
        return;
      }
      if (r.offset >= (ends.get(r.partition) ?? 0)) {
        probeUpdates.push(update);
        return;
      }
      if (update.count !== (counts.get(update.key) ?? 0) + 1) {
        errors.outOfSequence += 1;
        errors.example ||= `key ${update.key}: ${update.count} after ${counts.get(update.key) ?? 'nothing'}`;
      }
      counts.set(update.key, update.count);
      if (update.appendedAt > lastAppend) lastAppend = update.appendedAt;
    };
    const reader = await TopicReader.start(context.kafka, changelog, onRecord);
    keepReader(reader);
    if (!(await reader.waitFor(expected, 300_000)))
      return fail('could not read the changelog back', reader.count);
    if (errors.notKeys + errors.notCounts + errors.outOfSequence > 0) {
      return fail(
        `changelog: ${errors.notKeys} records with a key that is no table key, ${errors.notCounts} values that are no count, ` +
          `${errors.outOfSequence} counts out of sequence (e.g. ${errors.example})`,
        expected,
      );
    }
    const wrong = this.compareCounts(counts);
    if (wrong) return fail(wrong, expected);
    if (!(lastAppend > first))
      return fail(`last changelog record appended at ${lastAppend}, before the first input (${first})`);

    // 4. latency probe: per table key, probe rides (input append) paired in order with updates
    const latencies = await this.probe(context, topics, reader, expected, probeUpdates);
    if (typeof latencies === 'string') return fail(latencies, expected);

    return measuredResult(context, this.name, proc, {
      first,
      lastAppend,
      observedEnd: drained.observedEnd,
      atEnd: drained.atEnd,
      outputs: expected,
      latencies,
      detail: { tableKeys: counts.size },
    });
  }

  /**
   * `measure` for a changelog with one record per changed key per commit: the reader follows the
   * changelog from the start; the run ends when every key's latest count is the expected one.
   */
  private async measureCoalesced(
    context: RunContext,
    proc: SystemProcess,
    topics: { changelog: string; repartition: string; probe: string },
    keepReader: (reader: TopicReader) => void,
  ): Promise<RunResult> {
    const expected = this.inputs;
    const fail = (problem: string, outputs = 0) =>
      failed(context, this.name, problem, proc.peakRssMb(), outputs);
    const counts = new Map<string, number>();
    const errors = { notKeys: 0, notCounts: 0, notRising: 0, beyond: 0, example: '' };
    let complete = 0;
    let lastAppend = 0;
    let finishedAt: number | undefined;
    /** Updates after the input was counted: the probe rides' (key, count, append time). */
    const probeUpdates: Update[] = [];
    const onRecord = (r: OutputRecord) => {
      const update = this.decodeUpdate(r);
      if (typeof update === 'string') {
        errors[update] += 1;
        errors.example ||= `${r.key?.toString('utf8')} = ${r.value?.toString('utf8')}`;
        return;
      }
      if (finishedAt !== undefined) {
        probeUpdates.push(update);
        return;
      }
      const before = counts.get(update.key) ?? 0;
      const want = this.expected.get(update.key);
      if (update.count <= before) {
        errors.notRising += 1;
        errors.example ||= `key ${update.key}: ${update.count} after ${before}`;
      }
      if (want === undefined || update.count > want) {
        errors.beyond += 1;
        errors.example ||= `key ${update.key}: ${update.count}, expected at most ${want ?? 0}`;
      }
      counts.set(update.key, update.count);
      if (update.appendedAt > lastAppend) lastAppend = update.appendedAt;
      if (update.count === want && before !== want) complete += 1;
      if (complete === this.expected.size) finishedAt = Date.now();
    };
    const reader = await TopicReader.start(context.kafka, topics.changelog, onRecord);
    keepReader(reader);

    // 1. the timed part: until every key's latest changelog record holds its expected count
    const deadline = Date.now() + context.settings.timeoutMs;
    while (finishedAt === undefined) {
      const exit = proc.exited;
      if (exit)
        return fail(
          `the process exited (code ${exit.code}, signal ${exit.signal}); see ${proc.logFile}`,
          complete,
        );
      if (Date.now() > deadline)
        return fail(`timeout: ${complete} of ${this.expected.size} keys reached their count`, complete);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const observedEnd = finishedAt;
    const atEnd = proc.cpuSnapshot();
    const first = proc.reported('first');
    if (first === undefined) return fail('the system never reported its first consumed record');

    // 2. 1 s later: no key counted beyond the truth, the repartition topic one record per ride
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const repartitioned = (await context.admin.endOffsets(topics.repartition)).total;
    if (repartitioned < expected || (repartitioned > expected && !writesTransactions(context.system)))
      return fail(`${repartitioned} records in the repartition topic, expected ${expected}`, expected);
    if (errors.notKeys + errors.notCounts + errors.notRising + errors.beyond + probeUpdates.length > 0) {
      return fail(
        `changelog: ${errors.notKeys} records with a key that is no table key, ${errors.notCounts} values that are no count, ` +
          `${errors.notRising} counts not above the key's previous one, ${errors.beyond} beyond the expected count, ` +
          `${probeUpdates.length} after every key was complete (e.g. ${errors.example})`,
        expected,
      );
    }
    const wrong = this.compareCounts(counts);
    if (wrong) return fail(wrong, expected);

    // 3. latency probe: a probe ride's latency ends at the first record of its key counting it
    const latencies = await this.probeCoalesced(context, topics.probe, counts, probeUpdates);
    if (typeof latencies === 'string') return fail(latencies, expected);
    return measuredResult(context, this.name, proc, {
      first,
      lastAppend,
      observedEnd,
      atEnd,
      outputs: expected,
      latencies,
      detail: { tableKeys: counts.size, changelogRecords: reader.count },
    });
  }

  /** Latencies of the probe rides against a changelog with a record per key per commit. */
  private async probeCoalesced(
    context: RunContext,
    probeTopic: string,
    base: ReadonlyMap<string, number>,
    updates: readonly Update[],
  ): Promise<number[] | string> {
    const rides = context.settings.probeRate > 0 ? probeRides(context) : [];
    if (rides.length === 0) return [];
    const sent: Array<{ key: string; appendedAt: number }> = [];
    const producer = await connectProducer(context.kafka);
    try {
      await sendAtRate(producer, probeTopic, rides, context.settings.probeRate, (ride, appendedAt) => {
        sent.push({ key: this.tableKey(ride), appendedAt });
      });
    } finally {
      await producer.disconnect();
    }
    const target = new Map(base);
    for (const { key } of sent) target.set(key, (target.get(key) ?? 0) + 1);
    const reached = () => {
      const latest = new Map(base);
      for (const u of updates) latest.set(u.key, u.count);
      return [...target].every(([key, count]) => latest.get(key) === count);
    };
    const deadline = Date.now() + 60_000;
    while (!reached()) {
      if (Date.now() > deadline)
        return `latency probe: the changelog did not reach the probe rides' counts in 60 s`;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // per key, the k-th ride sent (by input append time) brings the count to base + k
    const byKey = new Map<string, Update[]>();
    for (const u of updates) {
      const list = byKey.get(u.key);
      if (list) list.push(u);
      else byKey.set(u.key, [u]);
    }
    const seen = new Map<string, number>();
    const latencies: number[] = [];
    for (const ride of [...sent].sort((a, b) => a.appendedAt - b.appendedAt)) {
      const k = (seen.get(ride.key) ?? 0) + 1;
      seen.set(ride.key, k);
      const wanted = (base.get(ride.key) ?? 0) + k;
      const update = byKey.get(ride.key)?.find((u) => u.count >= wanted);
      if (update === undefined) return `latency probe: key ${ride.key} never reached ${wanted}`;
      latencies.push(update.appendedAt - ride.appendedAt);
    }
    return latencies;
  }

  /** A changelog record as an update, or which check it fails. */
  private decodeUpdate(r: OutputRecord): Update | 'notKeys' | 'notCounts' {
    const key = r.key === null ? undefined : this.decodeKey(r.key.toString('utf8'));
    if (key === undefined) return 'notKeys';
    let count: unknown;
    try {
      count = r.value === null ? null : JSON.parse(r.value.toString('utf8'));
    } catch {
      count = undefined;
    }
    if (typeof count !== 'number' || !Number.isInteger(count)) return 'notCounts';
    return { key, count, appendedAt: r.timestamp };
  }

  /** Why the final counts differ from the expected ones, or undefined when they are equal. */
  private compareCounts(counts: ReadonlyMap<string, number>): string | undefined {
    let differ = 0;
    let example = '';
    for (const [key, count] of this.expected) {
      const got = counts.get(key);
      if (got === count) continue;
      differ += 1;
      example ||= `${key}: ${got ?? 'missing'} instead of ${count}`;
    }
    const extra = [...counts.keys()].filter((key) => !this.expected.has(key));
    if (differ === 0 && extra.length === 0) return undefined;
    return (
      `final counts: ${differ} of ${this.expected.size} keys differ from the expectation` +
      (example ? ` (e.g. ${example})` : '') +
      (extra.length > 0 ? `, ${extra.length} unexpected keys (e.g. ${extra[0]})` : '')
    );
  }

  /** Latencies of the probe rides, ms (none without a probe), or why the probe failed. */
  private async probe(
    context: RunContext,
    topics: { changelog: string; probe: string },
    reader: TopicReader,
    expected: number,
    updates: readonly Update[],
  ): Promise<number[] | string> {
    const rides = context.settings.probeRate > 0 ? probeRides(context) : [];
    if (rides.length === 0) return [];
    const sent = new Map<string, number[]>();
    const producer = await connectProducer(context.kafka);
    try {
      await sendAtRate(producer, topics.probe, rides, context.settings.probeRate, (ride, appendedAt) => {
        const key = this.tableKey(ride);
        const list = sent.get(key);
        if (list) list.push(appendedAt);
        else sent.set(key, [appendedAt]);
      });
    } finally {
      await producer.disconnect();
    }
    if (!(await reader.waitFor(expected + rides.length, 60_000)))
      return `latency probe: ${reader.count - expected} of ${rides.length} probe updates arrived`;
    await new Promise((resolve) => setTimeout(resolve, 500));
    // no more records than rides: counted as read (a transactional system's markers take offsets)
    const after = writesTransactions(context.system)
      ? reader.count
      : (await context.admin.endOffsets(topics.changelog)).total;
    if (after !== expected + rides.length)
      return `latency probe: ${after - expected} changelog records for ${rides.length} probe rides`;
    return pairInOrder(sent, updates, rides.length);
  }
}

/**
 * Latencies of probe rides: per table key, the k-th ride sent (by input append time) against
 * the k-th update (by changelog append time). Fails unless every ride has exactly one update.
 */
function pairInOrder(
  sent: ReadonlyMap<string, number[]>,
  updates: readonly Update[],
  rides: number,
): number[] | string {
  if (updates.length !== rides) return `latency probe: ${updates.length} updates for ${rides} probe rides`;
  const received = new Map<string, number[]>();
  for (const u of updates) {
    const list = received.get(u.key);
    if (list) list.push(u.appendedAt);
    else received.set(u.key, [u.appendedAt]);
  }
  const latencies: number[] = [];
  for (const [key, inputs] of sent) {
    const outputs = (received.get(key) ?? []).sort((a, b) => a - b);
    if (outputs.length !== inputs.length)
      return `latency probe: key ${key} got ${outputs.length} updates for ${inputs.length} probe rides`;
    inputs.sort((a, b) => a - b);
    for (let i = 0; i < inputs.length; i++) latencies.push(outputs[i]! - inputs[i]!);
  }
  return latencies;
}
