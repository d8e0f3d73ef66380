/**
 * The topics of test/fixtures/count-app.ts seen from outside the workers: input ->
 * `<app>-by-key-repartition` -> table `counts` (`<app>-counts-changelog`) and, with TEST_OUTPUT,
 * one output record per counted event. Offsets tell how far the app got without asking it.
 */
import { App } from '@strom/core';
import type { Admin, Kafka } from 'kafkajs';
import { brokers, kafka, testLogLevel } from '../../support/kafka.js';
import { readCommittedValues } from './committed-records.js';

export interface CountPipelineOptions {
  appId: string;
  input: string;
  output?: string;
  /** Client to use; default `kafka()` on KAFKA_BROKERS. */
  client?: Kafka;
  /** Bootstrap servers for reading the table; default KAFKA_BROKERS. */
  bootstrap?: string[];
  /** Waits end early (as on timeout) once this is true, e.g. once a worker failed. */
  giveUpWhen?: () => boolean;
  /** The app runs exactly-once: offsets of its outputs also count commit markers and aborted records. */
  transactional?: boolean;
}

export class CountPipeline {
  readonly changelog: string;
  readonly repartition: string;
  private readonly client: Kafka;
  private readonly admin: Admin;
  private connected: Promise<void> | undefined;

  constructor(private readonly options: CountPipelineOptions) {
    this.changelog = `${options.appId}-counts-changelog`;
    this.repartition = `${options.appId}-by-key-repartition`;
    this.client = options.client ?? kafka();
    this.admin = this.client.admin();
  }

  private async ready(): Promise<Admin> {
    await (this.connected ??= this.admin.connect());
    return this.admin;
  }

  /** High watermark of each partition of `topic`; empty while the topic does not exist. */
  async ends(topic: string): Promise<Map<number, number>> {
    const admin = await this.ready();
    const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  }

  /** Records ever written to `topic` (sum of high watermarks; the topics here are never truncated). */
  async end(topic: string): Promise<number> {
    return sum((await this.ends(topic)).values());
  }

  /** Offsets the app's group committed on `topic`, summed (a partition without a commit counts 0). */
  async committed(topic: string): Promise<number> {
    const admin = await this.ready();
    const [offsets] = await admin.fetchOffsets({ groupId: this.options.appId, topics: [topic] });
    return sum((offsets?.partitions ?? []).map((p) => Math.max(0, Number(p.offset))));
  }

  /** Input and repartition records the group has not committed yet (at-least-once). */
  async lag(): Promise<number> {
    const [inputEnd, inputDone, repartitionEnd, repartitionDone] = await Promise.all([
      this.end(this.options.input),
      this.committed(this.options.input),
      this.end(this.repartition),
      this.committed(this.repartition),
    ]);
    return inputEnd - inputDone + (repartitionEnd - repartitionDone);
  }

  /**
   * With no worker running: how many events the app will have counted twice once it catches up
   * with no further fault. Every changelog record is one increment; what the group committed
   * is counted for good; repartition records past the commit will be counted again, and input
   * records past the commit will be forwarded (and counted) again:
   * changelog end + (repartition end - repartition committed) + (input end - input committed) - input end.
   */
  async pendingOverCount(): Promise<number> {
    const [changelogEnd, repartitionEnd, repartitionDone, inputDone] = await Promise.all([
      this.end(this.changelog),
      this.end(this.repartition),
      this.committed(this.repartition),
      this.committed(this.options.input),
    ]);
    return changelogEnd + repartitionEnd - repartitionDone - inputDone;
  }

  /**
   * Polls every 100 ms until `check` holds; returns the ms it took, or undefined after
   * `timeoutMs` (or once `giveUpWhen` holds).
   */
  async waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<number | undefined> {
    const started = Date.now();
    for (;;) {
      if (await check()) return Date.now() - started;
      if (Date.now() - started > timeoutMs || this.options.giveUpWhen?.()) return undefined;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits until the changelog grew past `records`: the app is counting. Ms waited, or undefined. */
  waitForChangelogPast(records: number, timeoutMs: number): Promise<number | undefined> {
    return this.waitFor(async () => (await this.end(this.changelog)) > records, timeoutMs);
  }

  /**
   * Waits until the group committed every input and repartition record. Ms waited, or undefined.
   * Exactly-once: repartition offsets end past the records (commit markers, aborted records), so
   * drained means every input record committed and the table's counts adding up to `events`.
   */
  waitUntilDrained(timeoutMs: number, events: number): Promise<number | undefined> {
    if (this.options.transactional) {
      return this.waitFor(async () => {
        const inputLag = (await this.end(this.options.input)) - (await this.committed(this.options.input));
        return inputLag === 0 && sum((await this.readCounts()).values()) >= events;
      }, timeoutMs);
    }
    return this.waitFor(
      async () => (await this.end(this.repartition)) > 0 && (await this.lag()) === 0,
      timeoutMs,
    );
  }

  /**
   * Samples the changelog's partitions every `intervalMs` until `stop()`, which returns the
   * longest time one partition went without a new record: with input flowing, how long its
   * events waited for a worker.
   */
  watchStalls(intervalMs = 250): { stop: () => Promise<number> } {
    let stopped = false;
    const last = new Map<number, { end: number; at: number }>();
    let longest = 0;
    const loop = (async () => {
      while (!stopped) {
        const now = Date.now();
        for (const [partition, end] of await this.ends(this.changelog)) {
          const seen = last.get(partition);
          if (seen === undefined || end > seen.end) last.set(partition, { end, at: now });
          else longest = Math.max(longest, now - seen.at);
        }
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        await loop;
        return longest;
      },
    };
  }

  /** The table `counts`, read from its changelog. */
  async readCounts(): Promise<Map<string, number>> {
    const app = new App({
      id: this.options.appId,
      broker: this.options.bootstrap ?? brokers(),
      logLevel: testLogLevel(),
    });
    app.table<string, number>('counts');
    const counts = await app.readTable('counts');
    return new Map([...counts].map(([key, value]) => [key, Number(value)]));
  }

  /**
   * Per event id: how many committed output records carry it (the whole output topic, read to
   * its end; see committed-records.ts for why the records are not taken from kafkajs' filter).
   */
  async readOutputIds(): Promise<Map<number, number>> {
    const topic = this.options.output;
    if (!topic) throw new Error('the pipeline has no output topic (TEST_OUTPUT)');
    const ids = new Map<number, number>();
    for (const value of await readCommittedValues(this.client, topic)) {
      const { id } = JSON.parse(value.toString('utf8')) as { id: number };
      ids.set(id, (ids.get(id) ?? 0) + 1);
    }
    return ids;
  }

  async close(): Promise<void> {
    if (this.connected) await this.admin.disconnect();
  }
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
