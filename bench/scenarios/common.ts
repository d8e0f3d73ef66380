/**
 * Steps every scenario's run shares: waiting for a system to finish the input, the latency
 * probe, and turning a measurement into a {@link RunResult}.
 */
import type { Producer } from 'kafkajs';
import type { TaxiRide } from '../../examples/taxi/rides.js';
import { rideKey, syntheticRides } from '../../examples/taxi/synthetic.js';
import { type BenchAdmin, PARTITIONS, sleep } from '../lib/broker.js';
import type { SystemProcess } from '../lib/processes.js';
import type { RunContext, RunResult } from './types.js';

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
