/**
 * The input of the counting scenarios and its truth: events `{ id, key }` spread round-robin over
 * the partitions, keys `k0..k<keys-1>`; the truth is how many *acknowledged* events each key has.
 *
 * Records go one send() per partition (kafkajs 2.2.4 can drop the records of one partition of a
 * multi-partition send() whose leader moved, tulios/kafkajs#1303), through an idempotent producer
 * so a retried request is not appended twice.
 */
import type { Kafka, Producer } from 'kafkajs';
import { kafka } from '../../support/kafka.js';

export interface CountEvent {
  id: number;
  key: string;
}

export interface CountInputOptions {
  topic: string;
  partitions: number;
  keys: number;
  /** Client to use; default `kafka()` on KAFKA_BROKERS. */
  client?: Kafka;
}

/** Per key: how many acknowledged input events carry it. */
export type Truth = Map<string, number>;

/**
 * Produces events with ids counting up from 0 and keeps the truth of what the broker
 * acknowledged. Records of a send() that failed are not in the truth (they may or may not be in
 * the topic: at worst the app counts more than the truth, never less).
 */
export class CountInput {
  readonly truth: Truth = new Map();
  /** Ids of the acknowledged events, in no particular order. */
  readonly ackedIds: number[] = [];
  private nextId = 0;
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;
  private steadyRun: { stop: () => Promise<void> } | undefined;

  constructor(private readonly options: CountInputOptions) {
    this.producer = (options.client ?? kafka()).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // ride out a leader move: a broker is fenced after broker.session.timeout.ms
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 2_000 },
    });
  }

  /** Produces `count` more events, `perRequest` records per partition and request, and waits for the acks. */
  async produce(count: number, perRequest = 5_000): Promise<void> {
    await (this.connected ??= this.producer.connect());
    const { partitions, keys, topic } = this.options;
    const byPartition: CountEvent[][] = Array.from({ length: partitions }, () => []);
    for (let i = 0; i < count; i++) {
      const id = this.nextId++;
      byPartition[id % partitions]!.push({ id, key: `k${id % keys}` });
    }
    await Promise.all(
      byPartition.map(async (events, partition) => {
        for (let i = 0; i < events.length; i += perRequest) {
          const chunk = events.slice(i, i + perRequest);
          await this.producer.send({
            topic,
            acks: -1,
            messages: chunk.map((e) => ({ partition, value: JSON.stringify(e) })),
          });
          for (const e of chunk) {
            this.truth.set(e.key, (this.truth.get(e.key) ?? 0) + 1);
            this.ackedIds.push(e.id);
          }
        }
      }),
    );
  }

  /**
   * Produces `ratePerSecond` events a second, in ticks of `tickMs`, until `stop()`; resolves when
   * stopped. A tick that fails is retried by kafkajs; a send that still fails ends the loop with
   * its error.
   */
  steady(ratePerSecond: number, tickMs = 200): { stop: () => Promise<void> } {
    let stopped = false;
    const perTick = Math.max(1, Math.round((ratePerSecond * tickMs) / 1000));
    const loop = (async () => {
      while (!stopped) {
        const tickEnd = Date.now() + tickMs;
        await this.produce(perTick);
        const wait = tickEnd - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    })();
    this.steadyRun = {
      stop: async () => {
        stopped = true;
        await loop;
      },
    };
    return this.steadyRun;
  }

  /** Events acknowledged so far. */
  get acked(): number {
    return this.ackedIds.length;
  }

  /** Stops a steady production still running (ignoring its failure) and disconnects. */
  async close(): Promise<void> {
    await this.steadyRun?.stop().catch(() => undefined);
    await this.producer.disconnect();
  }
}
