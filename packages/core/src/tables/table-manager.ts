import { StromError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import type { Store } from '../stores/types.js';
import type { Assignment, ChangelogReader, InboundMessage, PartitionOffsets } from '../transport/types.js';
import { decodeJson, jsonEncode, type Table, type TablePartitions } from './table.js';
import { TablePartition } from './table-partition.js';

type AnyTable = Table<unknown, unknown>;

export interface TableManagerOptions {
  tables: readonly AnyTable[];
  reader: ChangelogReader;
  /** Changelog partition offsets (low, high) from the broker. */
  offsets: (topic: string) => Promise<PartitionOffsets[]>;
  storeFor: (table: AnyTable) => Store;
  log: Logger;
}

/**
 * Holds the table partitions of one worker: on every assignment it drops the partitions the
 * worker lost and recovers the ones it gained from their changelogs; a batch of a source
 * partition is processed only once the table partitions co-partitioned with it are ready.
 */
export class TableManager implements TablePartitions {
  private readonly held = new Map<AnyTable, Map<number, TablePartition<unknown>>>();
  private readonly recoveries = new Map<string, Promise<void>>();
  /** Bumped on every (re)assignment of a table partition, so a stale recovery does not install itself. */
  private readonly generations = new Map<string, number>();
  private generation = 0;
  private partitionCounts = new Map<AnyTable, number>();
  private topicCounts = new Map<string, number>();
  private readonly log: Logger;

  constructor(private readonly options: TableManagerOptions) {
    this.log = options.log.child({ component: 'tables' });
  }

  get tables(): readonly AnyTable[] {
    return this.options.tables;
  }

  /** Called once the topics exist: partition counts of the changelogs and of the subscribed topics. */
  async start(counts: ReadonlyMap<string, number>): Promise<void> {
    this.topicCounts = new Map(counts);
    for (const table of this.options.tables) {
      const count = counts.get(table.changelog.name);
      if (count === undefined)
        throw new StromError('TOPIC', `${table}: its changelog ${table.changelog.name} does not exist`);
      this.partitionCounts.set(table, count);
      this.held.set(table, new Map());
      table.attach(this);
    }
    if (this.options.tables.length > 0)
      await this.options.reader.start(this.options.tables.map((t) => t.changelog.name));
  }

  /** A new assignment: drop table partitions no longer needed, start recovering the new ones. */
  assign(assignment: readonly Assignment[]): void {
    for (const table of this.options.tables) {
      const count = this.partitionCounts.get(table)!;
      const wanted = new Set<number>();
      for (const { topic, partitions } of assignment) {
        if (this.topicCounts.get(topic) === count) for (const p of partitions) wanted.add(p);
      }
      const held = this.held.get(table)!;
      for (const p of [...held.keys()]) {
        if (wanted.has(p)) continue;
        const partition = held.get(p)!;
        held.delete(p);
        this.recoveries.delete(`${table.name}:${p}`);
        void partition.close();
        this.log.info({ table: table.name, partition: p }, 'table partition released');
      }
      for (const p of wanted) {
        const key = `${table.name}:${p}`;
        if (this.recoveries.has(key)) continue;
        const generation = ++this.generation;
        this.generations.set(key, generation);
        this.recoveries.set(key, this.recover(table, p, generation));
      }
    }
  }

  /** Resolves when every table partition co-partitioned with `topic`/`partition` is recovered. */
  ready(topic: string, partition: number): Promise<void> {
    const count = this.topicCounts.get(topic);
    const pending: Promise<void>[] = [];
    for (const table of this.options.tables) {
      if (this.partitionCounts.get(table) !== count) continue;
      const recovery = this.recoveries.get(`${table.name}:${partition}`);
      if (recovery) pending.push(recovery);
    }
    return pending.length === 0 ? Promise.resolve() : Promise.all(pending).then(() => undefined);
  }

  partitionFor(table: AnyTable, partition: number): TablePartition<unknown> | undefined {
    return this.held.get(table)?.get(partition);
  }

  localPartitions(table: AnyTable): Iterable<TablePartition<unknown>> {
    return this.held.get(table)?.values() ?? [];
  }

  async stop(): Promise<void> {
    await this.options.reader.stop();
    for (const table of this.options.tables) {
      for (const partition of this.held.get(table)?.values() ?? []) await partition.close();
      table.attach(undefined);
    }
    this.held.clear();
  }

  /**
   * Step 1: open the store partition and read its checkpoint.
   * Step 2: read the changelog from max(checkpoint, low watermark) to the high watermark.
   * Step 3: make the partition visible to the table.
   */
  private async recover(table: AnyTable, p: number, generation: number): Promise<void> {
    const started = Date.now();
    const store = this.options.storeFor(table);
    const storePartition = await store.open(table.name, p);
    const partition = new TablePartition<unknown>(
      p,
      storePartition,
      !store.persistent,
      jsonEncode,
      decodeJson,
    );
    const checkpoint = store.persistent ? await storePartition.checkpoint() : undefined;
    const offsets = (await this.options.offsets(table.changelog.name)).find((o) => o.partition === p);
    const low = BigInt(offsets?.low ?? '0');
    const high = BigInt(offsets?.high ?? '0');
    const from = checkpoint !== undefined && BigInt(checkpoint) > low ? BigInt(checkpoint) : low;
    const total = high > from ? Number(high - from) : 0;
    let read = 0;
    const progress = setInterval(() => {
      const seconds = (Date.now() - started) / 1000;
      const rate = read / Math.max(seconds, 0.001);
      this.log.info(
        {
          table: table.name,
          partition: p,
          read,
          total,
          recordsPerSec: Math.round(rate),
          etaSec: Math.round((total - read) / Math.max(rate, 1)),
        },
        'recovering table partition',
      );
    }, 2000);
    try {
      await this.options.reader.read(
        table.changelog.name,
        p,
        String(from),
        String(high),
        async (messages) => {
          partition.applyRecords(messages.map(toRecord));
          read += messages.length;
          if (store.persistent)
            await partition.flush(String(BigInt(messages[messages.length - 1]!.offset) + 1n));
        },
      );
    } finally {
      clearInterval(progress);
    }
    if (store.persistent) await partition.flush(String(high));
    if (
      this.generations.get(`${table.name}:${p}`) !== generation ||
      !this.recoveries.has(`${table.name}:${p}`)
    ) {
      await partition.close(); // released while it was recovering
      return;
    }
    this.held.get(table)!.set(p, partition);
    const ms = Date.now() - started;
    this.log.info(
      {
        table: table.name,
        partition: p,
        records: read,
        fromOffset: String(from),
        highWatermark: String(high),
        ms,
      },
      'table partition recovered',
    );
  }
}

function toRecord(message: InboundMessage): [string, unknown] {
  const key = message.key === null ? 'null' : message.key.toString('utf8');
  return [key, message.value === null ? undefined : decodeJson(message.value)];
}
