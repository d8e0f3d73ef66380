import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { OutRecord } from '../transport/types.js';

/** What the worker's metrics read when scraped (not on the hot path). */
export interface MetricsSources {
  /** Records given to the producer and not acknowledged yet. */
  producerQueue: () => number;
  /** Dead letters written, per dead-letter topic. */
  deadLetters: () => ReadonlyMap<string, number>;
  /** Table partitions recovering now: changelog records read and to read. */
  recovering: () => ReadonlyArray<{ table: string; partition: number; read: number; total: number }>;
  /** Finished recoveries (since the worker started). */
  recoveries: () => ReadonlyArray<{ table: string; records: number }>;
  /** Per table: keys held in memory here, and late events its windowed view dropped. */
  tables: () => ReadonlyArray<{ table: string; keys: number; lateEvents: number | undefined }>;
}

const SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The Prometheus metrics of one worker, in a registry of its own (two workers in one process
 * do not mix). The worker calls it once per batch, commit and rebalance — never per record:
 * label children are looked up once and cached. Gauges of state (lag aside) are read from
 * `sources` only when scraped.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly consumedTotal: Counter<'topic' | 'partition'>;
  private readonly agentEventsTotal: Counter<'agent' | 'topic'>;
  private readonly lag: Gauge<'topic' | 'partition'>;
  private readonly batchSeconds: Histogram<'topic'>;
  private readonly commitSeconds: Histogram;
  private readonly rebalancesTotal: Counter;
  private readonly consumedChildren = new Map<
    string,
    { consumed: Counter.Internal; lag: Gauge.Internal<'topic' | 'partition'> }
  >();
  private readonly agentChildren = new Map<string, Counter.Internal>();
  private readonly batchChildren = new Map<string, Histogram.Internal<'topic'>>();
  /** Records acknowledged per topic: plain numbers on the hot path, read into the counter at scrape. */
  private readonly produced = new Map<string, { records: number }>();

  constructor(appId: string, sources: MetricsSources) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ app: appId });
    collectDefaultMetrics({ register: this.registry });
    this.consumedTotal = new Counter({
      name: 'strom_records_consumed_total',
      help: 'Records fetched from a topic partition and handed to the agents (dead letters included).',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.agentEventsTotal = new Counter({
      name: 'strom_agent_events_total',
      help: 'Events delivered to an agent, per source topic.',
      labelNames: ['agent', 'topic'],
      registers,
    });
    const produced = this.produced;
    new Counter({
      name: 'strom_records_produced_total',
      help: 'Records acknowledged by the broker, per topic (outputs, changelogs, repartition, dead letters).',
      labelNames: ['topic'],
      registers,
      collect() {
        this.reset();
        for (const [topic, count] of produced) this.inc({ topic }, count.records);
      },
    });
    this.lag = new Gauge({
      name: 'strom_consumer_lag_records',
      help: 'Records of a partition after the last one fetched (high watermark - offset - 1), as of its last batch.',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'strom_batch_processing_seconds',
      help: 'Time from handing a batch to the agents until every event of it finished.',
      labelNames: ['topic'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'strom_commit_seconds',
      help: 'Duration of a commit: flush the producer, checkpoint tables, resolve the offset (count: commits).',
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.rebalancesTotal = new Counter({
      name: 'strom_rebalances_total',
      help: 'Assignments this worker received (the first join included).',
      registers,
    });
    new Gauge({
      name: 'strom_producer_queue_records',
      help: 'Records given to the producer and not acknowledged yet.',
      registers,
      collect() {
        this.set(sources.producerQueue());
      },
    });
    new Counter({
      name: 'strom_dead_letters_total',
      help: 'Records written to a dead-letter topic, per dead-letter topic.',
      labelNames: ['topic'],
      registers,
      collect() {
        this.reset();
        for (const [topic, n] of sources.deadLetters()) this.inc({ topic }, n);
      },
    });
    new Gauge({
      name: 'strom_table_recovery_remaining_records',
      help: 'Changelog records a recovering table partition still has to read (absent when none recovers).',
      labelNames: ['table', 'partition'],
      registers,
      collect() {
        this.reset();
        for (const r of sources.recovering())
          this.set({ table: r.table, partition: String(r.partition) }, Math.max(0, r.total - r.read));
      },
    });
    new Counter({
      name: 'strom_table_recoveries_total',
      help: 'Table partitions this worker recovered (from a store, its changelog or a standby copy).',
      labelNames: ['table'],
      registers,
      collect() {
        this.reset();
        for (const r of sources.recoveries()) this.inc({ table: r.table });
      },
    });
    new Counter({
      name: 'strom_table_recovery_records_total',
      help: 'Changelog records read by finished recoveries.',
      labelNames: ['table'],
      registers,
      collect() {
        this.reset();
        for (const r of sources.recoveries()) this.inc({ table: r.table }, r.records);
      },
    });
    new Gauge({
      name: 'strom_table_keys',
      help: 'Keys (windowed: key windows) of a table held in memory by this worker: all of them with the memory store, the cached ones with RocksDB.',
      labelNames: ['table'],
      registers,
      collect() {
        this.reset();
        for (const t of sources.tables()) this.set({ table: t.table }, t.keys);
      },
    });
    new Counter({
      name: 'strom_late_events_total',
      help: 'Events a windowed table did not apply because every window of theirs had closed.',
      labelNames: ['table'],
      registers,
      collect() {
        this.reset();
        for (const t of sources.tables())
          if (t.lateEvents !== undefined) this.inc({ table: t.table }, t.lateEvents);
      },
    });
  }

  /** A fetched batch: `count` records, the partition's high watermark and the batch's last offset. */
  batchFetched(
    topic: string,
    partition: number,
    count: number,
    highWatermark: string,
    lastOffset: string,
  ): void {
    const id = `${topic}\u0000${partition}`;
    let children = this.consumedChildren.get(id);
    if (children === undefined) {
      const labels = { topic, partition: String(partition) };
      children = { consumed: this.consumedTotal.labels(labels), lag: this.lag.labels(labels) };
      this.consumedChildren.set(id, children);
    }
    children.consumed.inc(count);
    children.lag.set(Math.max(0, Number(BigInt(highWatermark) - BigInt(lastOffset) - 1n)));
  }

  /** `count` events of `topic` went to each of `agents`. */
  eventsDelivered(topic: string, agents: ReadonlyArray<{ agent: { name: string } }>, count: number): void {
    for (const { agent } of agents) {
      const id = `${agent.name}\u0000${topic}`;
      let child = this.agentChildren.get(id);
      if (child === undefined) {
        child = this.agentEventsTotal.labels({ agent: agent.name, topic });
        this.agentChildren.set(id, child);
      }
      child.inc(count);
    }
  }

  /** Every event of a batch of `topic` finished, `seconds` after it was handed over. */
  batchProcessed(topic: string, seconds: number): void {
    let child: Histogram.Internal<'topic'> | undefined = this.batchChildren.get(topic);
    if (child === undefined) {
      child = this.batchSeconds.labels({ topic });
      this.batchChildren.set(topic, child);
    }
    child.observe(seconds);
  }

  committed(seconds: number): void {
    this.commitSeconds.observe(seconds);
  }

  rebalanced(): void {
    this.rebalancesTotal.inc();
  }

  /**
   * A produce request was acknowledged: counts its records per topic. Per record, so no
   * prom-client call here (about 100 ns each): a number in a slot, kept while the topic repeats.
   */
  delivered(records: readonly OutRecord[]): void {
    let topic: string | undefined;
    let slot: { records: number } | undefined;
    for (const record of records) {
      if (record.topic !== topic) {
        topic = record.topic;
        slot = this.produced.get(topic);
        if (slot === undefined) this.produced.set(topic, (slot = { records: 0 }));
      }
      slot!.records += 1;
    }
  }

  /** The text a Prometheus server scrapes, and its content type. */
  async scrape(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
