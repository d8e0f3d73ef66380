/**
 * Scenario 1, stateless: decode each ride (JSON), keep rides with total_amount >= threshold,
 * produce them re-encoded as JSON with the same key to an output topic (4 partitions).
 *
 * A run: fresh output and probe topics (LogAppendTime) and a fresh consumer group; the system
 * starts, drains the input; the run is timed from the system's first consumed record to the
 * broker append time of the last output record. Then every output record is read back and
 * compared with the expectation (count and an order-independent digest of the rides, keys
 * checked), then the latency probe runs.
 */
import type { TaxiRide } from '../../examples/taxi/rides.js';
import {
  connectProducer,
  LOG_APPEND_TIME,
  type OutputRecord,
  TopicReader,
  uniqueName,
} from '../lib/broker.js';
import { canonicalRide, Digest } from '../lib/digest.js';
import type { SystemProcess } from '../lib/processes.js';
import { drain, failed, measuredResult, probeRides, sendAtRate, withSystem } from './common.js';
import type { ImplementedScenario, RunContext, RunResult } from './types.js';

const NAME = 'stateless';

function outputTopicConfig(): Record<string, string> {
  return JSON.parse(process.env.BENCH_OUTPUT_TOPIC_CONFIG ?? '{}') as Record<string, string>;
}

export class StatelessScenario implements ImplementedScenario {
  readonly name = NAME;
  readonly implemented = true;
  readonly title = 'Stateless: decode, filter, produce';
  readonly work: string;
  private readonly expected = new Digest();
  private inputs = 0;

  constructor(readonly threshold = 10) {
    this.work =
      `Decode each ride (JSON value), keep rides with \`total_amount >= ${threshold}\`, produce each kept ride ` +
      're-encoded as JSON with the same key to an output topic of 4 partitions (acks from all replicas), at-least-once.';
  }

  observe(ride: TaxiRide): void {
    this.inputs += 1;
    if (ride.total_amount >= this.threshold) this.expected.add(canonicalRide(ride)!);
  }

  inputFacts(): Record<string, string | number> {
    return {
      filter: `total_amount >= ${this.threshold}`,
      selectivity: `${((100 * this.expected.count) / Math.max(1, this.inputs)).toFixed(1)} % of rides pass`,
      'expected outputs': this.expected.count,
    };
  }

  async runOnce(context: RunContext): Promise<RunResult> {
    const group = uniqueName(`strom-bench-${NAME}-${context.system}`);
    const output = `${group}-out`;
    const probe = `${group}-probe`;
    const topics = [
      // experiments: BENCH_OUTPUT_TOPIC_CONFIG='{"max.message.bytes":"16777216"}'
      { name: output, config: { ...LOG_APPEND_TIME, ...outputTopicConfig() } },
      { name: probe, config: LOG_APPEND_TIME },
    ];
    const env = { BENCH_THRESHOLD: String(this.threshold) };
    return withSystem(context, NAME, { group, topics, probe, output, env }, (proc, keepReader) =>
      this.measure(context, proc, output, probe, keepReader),
    );
  }

  private async measure(
    context: RunContext,
    proc: SystemProcess,
    output: string,
    probe: string,
    keepReader: (reader: TopicReader) => void,
  ): Promise<RunResult> {
    const { admin, settings } = context;
    const expected = this.expected.count;
    const fail = (problem: string, outputs = 0) => failed(context, NAME, problem, proc.peakRssMb(), outputs);

    // 1. the timed part: until the output holds as many records as expected; nothing more may
    // come (a duplicate would show up)
    const drained = await drain(context, NAME, proc, output, expected);
    if (!('ends' in drained)) return drained;
    const { first, ends } = drained;

    // 3. read everything back: the same rides, the same keys; the last append time ends the timing
    const got = new Digest();
    let lastAppend = 0;
    let wrongKeys = 0;
    let notRides = 0;
    // probe outputs can be read before the harness handled the produce response of their input:
    // they are matched once every probe ride was sent
    const probeOutputs: Array<{ canonical: string; appendedAt: number }> = [];
    const onRecord = (r: OutputRecord) => {
      let value: unknown;
      try {
        value = r.value === null ? null : JSON.parse(r.value.toString('utf8'));
      } catch {
        value = undefined;
      }
      const canonical = canonicalRide(value);
      const fromInput = r.offset < (ends.get(r.partition) ?? 0);
      if (canonical === undefined) {
        notRides += 1;
        return;
      }
      if (fromInput) {
        got.add(canonical);
        if (r.timestamp > lastAppend) lastAppend = r.timestamp;
        const vendorId = (value as TaxiRide).vendorId;
        if (r.key?.toString('utf8') !== JSON.stringify({ vendorId })) wrongKeys += 1;
        return;
      }
      probeOutputs.push({ canonical, appendedAt: r.timestamp });
    };
    const reader = await TopicReader.start(context.kafka, output, onRecord);
    keepReader(reader);
    if (!(await reader.waitFor(expected, 300_000)))
      return fail('could not read the output back', reader.count);
    if (notRides > 0) return fail(`${notRides} output records are not rides`, expected);
    if (!got.equals(this.expected)) {
      return fail(`the output differs from the expected rides: ${got} vs ${this.expected}`, expected);
    }
    if (wrongKeys > 0) return fail(`${wrongKeys} output records have a key other than the input's`, expected);
    const seconds = (lastAppend - first) / 1000;
    if (!(seconds > 0))
      return fail(`last output appended at ${lastAppend}, before the first input (${first})`);

    // 4. latency probe: rides at a steady rate into the probe topic, input append -> output append
    const latencies: number[] = [];
    const probeSet = settings.probeRate > 0 ? probeRides(context) : [];
    if (probeSet.length > 0) {
      const probeAppends = new Map<string, number[]>();
      const passing = probeSet.filter((r) => r.total_amount >= this.threshold).length;
      const producer = await connectProducer(context.kafka);
      try {
        await sendAtRate(producer, probe, probeSet, settings.probeRate, (ride, appendedAt) => {
          if (ride.total_amount < this.threshold) return;
          const canonical = canonicalRide(ride)!;
          const list = probeAppends.get(canonical);
          if (list) list.push(appendedAt);
          else probeAppends.set(canonical, [appendedAt]);
        });
      } finally {
        await producer.disconnect();
      }
      if (!(await reader.waitFor(expected + passing, 60_000))) {
        return fail(
          `latency probe: ${reader.count - expected} of ${passing} probe outputs arrived`,
          expected,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      const after = await admin.endOffsets(output);
      let unmatched = 0;
      for (const { canonical, appendedAt } of probeOutputs) {
        const sentAt = probeAppends.get(canonical)?.shift();
        if (sentAt === undefined) unmatched += 1;
        else latencies.push(appendedAt - sentAt);
      }
      if (after.total !== expected + passing || unmatched > 0 || notRides > 0) {
        return fail(
          `latency probe: ${after.total - expected} probe outputs for ${passing} expected, ${unmatched} unmatched`,
          expected,
        );
      }
    }

    return measuredResult(context, NAME, proc, {
      first,
      lastAppend,
      observedEnd: drained.observedEnd,
      atEnd: drained.atEnd,
      outputs: expected,
      latencies,
    });
  }
}
