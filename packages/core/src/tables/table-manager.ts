import { StromError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import type { RecordSender } from '../producer/buffered-producer.js';
import { MemoryPartitionStore } from '../stores/memory-store.js';
import type { PartitionStore, Store } from '../stores/types.js';
import type {
  Assignment,
  ChangelogReader,
  FollowHandle,
  InboundMessage,
  PartitionOffsets,
} from '../transport/types.js';
import { ALL_PARTITIONS, type ChangelogMode, ChangelogWriter, changelogCodec } from './changelog.js';
import { drawProgress, progressBar, progressFields } from './recovery-progress.js';
import type { Table, TablePartitions } from './table.js';
import { TablePartition } from './table-partition.js';

type AnyTable = Table<unknown, unknown>;

export interface TableManagerOptions {
  tables: readonly AnyTable[];
  reader: ChangelogReader;
  /** Where active table partitions write their changelog records (the worker's producer). */
  sender: RecordSender;
  /** When partitions (not global tables, which write every update) produce changelog records. */
  changelogMode: ChangelogMode;
  /** Changelog partition offsets (low, high) from the broker. */
  offsets: (topic: string) => Promise<PartitionOffsets[]>;
  storeFor: (table: AnyTable) => Store;
  /** Offset of the last acknowledged record this worker produced to a partition. */
  ackedOffset: (topic: string, partition: number) => bigint | undefined;
  /** Write dirty entries of persistent stores at stop (false with exactly-once: they may be uncommitted). */
  checkpointOnStop: boolean;
  /** A recovery or standby failed for a reason other than the manager closing: stop the worker. */
  onError: (error: unknown) => void;
  log: Logger;
}

/** What one recovery of a table partition did (for logs, tests and benchmarks). */
export interface RecoveryReport {
  table: string;
  partition: number;
  /** Changelog records read to make the partition current. */
  records: number;
  fromOffset: string;
  highWatermark: string;
  /** True when a standby copy was promoted (only its tail was read). */
  promoted: boolean;
  ms: number;
}

interface Standby {
  partition: TablePartition<unknown>;
  follow: FollowHandle;
}

/**
 * Holds the table partitions of one worker. On every assignment it drops the partitions the
 * worker lost and makes the ones it gained current: from a standby copy when it kept one
 * (reading only the changelog tail), else from the store's checkpoint or the changelog's
 * start. A batch of a source partition runs only once its co-partitioned table partitions are
 * ready. Standby copies follow their changelog partitions continuously.
 */
export class TableManager implements TablePartitions {
  private readonly held = new Map<AnyTable, Map<number, TablePartition<unknown>>>();
  private readonly standbys = new Map<string, Standby>();
  private readonly recoveries = new Map<string, Promise<void>>();
  /** Bumped on every (re)assignment of a table partition, so a stale recovery does not install itself. */
  private readonly generations = new Map<string, number>();
  private generation = 0;
  private partitionCounts = new Map<AnyTable, number>();
  private topicCounts = new Map<string, number>();
  private readonly log: Logger;
  readonly reports: RecoveryReport[] = [];
  /** Recoveries reading their changelog now: records read and to read (for metrics). */
  private readonly progress = new Map<
    string,
    { table: string; partition: number; read: number; total: number }
  >();
  /** Global tables: loaded from every changelog partition before any event runs, then followed. */
  private globalReady: Promise<void> = Promise.resolve();
  private readonly globalFollows: FollowHandle[] = [];
  /**
   * Set when the worker starts stopping. From then on no assignment, standby or recovery starts,
   * recoveries in flight end without installing their partition, and reads of the changelog end.
   */
  private closed = false;

  constructor(private readonly options: TableManagerOptions) {
    this.log = options.log.child({ component: 'tables' });
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
    if (this.options.tables.length > 0) {
      await this.options.reader.start(this.options.tables.map((t) => t.changelog.name));
    }
    const globals = this.options.tables.filter((t) => t.global);
    this.globalReady = this.guard(Promise.all(globals.map((t) => this.loadGlobal(t))).then(() => undefined));
  }

  /** Reads every partition of a global table's changelog to its end, then keeps following it. */
  private async loadGlobal(table: AnyTable): Promise<void> {
    const started = Date.now();
    const merged = this.newPartition(ALL_PARTITIONS, new MemoryPartitionStore(), false);
    merged.writer = new ChangelogWriter(this.options.sender, table.changelog.name, ALL_PARTITIONS);
    this.held.get(table)!.set(ALL_PARTITIONS, merged);
    const apply = (messages: readonly InboundMessage[]) =>
      merged.applyRecords(messages.map(changelogCodec.decode));
    let records = 0;
    for (const { partition, low, high } of await this.options.offsets(table.changelog.name)) {
      await this.options.reader.read(table.changelog.name, partition, low, high, (messages) => {
        records += messages.length;
        apply(messages);
      });
      this.globalFollows.push(this.options.reader.follow(table.changelog.name, partition, high, apply));
    }
    this.log.info(
      { table: table.name, records, ms: Date.now() - started },
      'global table loaded; following it',
    );
  }

  /** A new assignment: drop table partitions no longer needed, make the new ones current. */
  assign(assignment: readonly Assignment[]): void {
    if (this.closed) return;
    for (const table of this.options.tables) {
      if (table.global) continue;
      const wanted = this.partitionsFor(table, assignment);
      const held = this.held.get(table)!;
      for (const p of [...held.keys()]) {
        if (wanted.has(p)) continue;
        const partition = held.get(p)!;
        held.delete(p);
        void partition.close();
        this.log.info({ table: table.name, partition: p }, 'table partition released');
      }
      for (const key of [...this.recoveries.keys()]) {
        const [name, p] = splitKey(key);
        if (name === table.name && !wanted.has(p)) this.recoveries.delete(key);
      }
      for (const p of wanted) {
        const key = `${table.name}:${p}`;
        if (this.recoveries.has(key)) continue;
        const generation = ++this.generation;
        this.generations.set(key, generation);
        const standby = this.standbys.get(key);
        this.standbys.delete(key);
        this.recoveries.set(key, this.guard(this.recover(table, p, generation, standby)));
      }
    }
  }

  /** Standby duties from the assignor: per partition count, the partitions to keep a copy of. */
  async setStandbys(byCount: Readonly<Record<number, number[]>>): Promise<void> {
    for (const table of this.options.tables) {
      if (this.closed) return;
      if (table.global) continue;
      const count = this.partitionCounts.get(table)!;
      const active = this.held.get(table)!;
      const wanted = new Set(
        (byCount[count] ?? []).filter((p) => !active.has(p) && !this.recoveries.has(`${table.name}:${p}`)),
      );
      for (const [key, standby] of [...this.standbys]) {
        const [name, p] = splitKey(key);
        if (name !== table.name || wanted.has(p)) continue;
        this.standbys.delete(key);
        await standby.follow.stop();
        await standby.partition.close();
      }
      for (const p of wanted) {
        const key = `${table.name}:${p}`;
        if (this.standbys.has(key)) continue;
        const { partition, from } = await this.openPartition(table, p);
        if (this.closed) {
          await partition.close();
          return;
        }
        const follow = this.options.reader.follow(table.changelog.name, p, from, (messages) =>
          partition.applyRecords(messages.map(changelogCodec.decode)),
        );
        this.standbys.set(key, { partition, follow });
        this.log.info(
          { table: table.name, partition: p, fromOffset: from },
          'following table partition as standby',
        );
      }
    }
  }

  /** The standby copies held now, per partition count (sent when joining, to be preferred on failover). */
  standbyDuties(): Record<number, number[]> {
    const duties: Record<number, number[]> = {};
    for (const key of this.standbys.keys()) {
      const [name, p] = splitKey(key);
      const table = this.options.tables.find((t) => t.name === name);
      const count = table && this.partitionCounts.get(table);
      if (count === undefined) continue;
      if (!(duties[count] ??= []).includes(p)) duties[count].push(p);
    }
    return duties;
  }

  /** Resolves when every table partition co-partitioned with `topic`/`partition` is current. */
  ready(topic: string, partition: number): Promise<void> {
    const count = this.topicCounts.get(topic);
    const pending: Promise<void>[] = [this.globalReady];
    for (const table of this.options.tables) {
      if (table.global || this.partitionCounts.get(table) !== count) continue;
      const recovery = this.recoveries.get(`${table.name}:${partition}`);
      if (recovery) pending.push(recovery);
    }
    return Promise.all(pending).then(() => undefined);
  }

  /**
   * After a batch of `topic`/`partition` committed its changelog records: write the table
   * partitions' dirty entries to their persistent stores, with the changelog offset they reflect,
   * so a restart reads only the changelog after it.
   */
  async checkpoint(topic: string, partition: number): Promise<void> {
    const count = this.topicCounts.get(topic);
    for (const table of this.options.tables) {
      if (table.global || this.partitionCounts.get(table) !== count) continue;
      await this.checkpointPartition(table, partition);
    }
  }

  /**
   * Before a commit of `topic`/`partition`: the co-partitioned table partitions produce the
   * changes they keep for the commit (per-commit changelogs; nothing to do otherwise).
   */
  async flushChangelogs(topic: string, partition: number): Promise<void> {
    const count = this.topicCounts.get(topic);
    for (const table of this.options.tables) {
      if (table.global || this.partitionCounts.get(table) !== count) continue;
      await this.held.get(table)?.get(partition)?.writer?.flush();
    }
  }

  /** Every partition's kept changes (at-least-once, at a stop). */
  async flushAllChangelogs(): Promise<void> {
    for (const byPartition of this.held.values())
      for (const partition of byPartition.values()) await partition.writer?.flush();
  }

  private async checkpointPartition(table: AnyTable, p: number): Promise<void> {
    const held = this.held.get(table)?.get(p);
    if (!held || held.dirtyCount === 0 || !this.options.storeFor(table).persistent) return;
    const acked = this.options.ackedOffset(table.changelog.name, p);
    await held.flush(acked === undefined ? undefined : String(acked + 1n));
  }

  /** The recoveries reading their changelog now, with how far they are. */
  recoveryProgress(): ReadonlyArray<{ table: string; partition: number; read: number; total: number }> {
    return [...this.progress.values()];
  }

  /** Assigned table partitions not current yet (`name[p]`): their reads would be stale. */
  recovering(): string[] {
    const pending: string[] = [];
    for (const key of this.recoveries.keys()) {
      const [name, p] = splitKey(key);
      const table = this.options.tables.find((t) => t.name === name);
      if (table && !this.held.get(table)?.has(p)) pending.push(`${name}[${p}]`);
    }
    return pending;
  }

  partitionFor(table: AnyTable, partition: number): TablePartition<unknown> | undefined {
    return this.held.get(table)?.get(partition);
  }

  localPartitions(table: AnyTable): Iterable<TablePartition<unknown>> {
    return this.held.get(table)?.values() ?? [];
  }

  /**
   * Step 1 of a stop, at once when the worker starts stopping: nothing new starts, and changelog
   * reads end, so recoveries in flight return without installing their partition.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const follow of this.globalFollows) await follow.stop().catch(() => undefined);
    for (const standby of this.standbys.values()) await standby.follow.stop().catch(() => undefined);
    await this.options.reader.stop();
    // a recovery ends at its next step once the reader stopped; wait so no store stays open
    await Promise.allSettled(this.recoveries.values());
  }

  /** Step 2, once the last records are acknowledged: checkpoint and close every partition. */
  async stop(): Promise<void> {
    await this.close();
    for (const standby of this.standbys.values()) await standby.partition.close();
    this.standbys.clear();
    for (const table of this.options.tables) {
      for (const [p, partition] of this.held.get(table) ?? []) {
        if (this.options.checkpointOnStop)
          await this.checkpointPartition(table, p).catch((error: unknown) =>
            this.log.warn({ err: error, table: table.name, partition: p }, 'final checkpoint failed'),
          );
        await partition.close();
      }
      table.attach(undefined);
    }
    this.held.clear();
  }

  /** A table partition on `store`: decoded values in memory, JSON bytes in the store. */
  private newPartition(p: number, store: PartitionStore, persistent: boolean): TablePartition<unknown> {
    return new TablePartition<unknown>(
      p,
      store,
      !persistent,
      changelogCodec.encodeValue,
      changelogCodec.decodeValue,
    );
  }

  /**
   * A recovery's promise, awaited by the batches that need it (they see its error) and reported
   * to the worker as soon as it fails, so a failure nobody awaits is never an unhandled rejection.
   */
  private guard(work: Promise<void>): Promise<void> {
    work.catch((error: unknown) => {
      if (!this.closed) this.options.onError(error);
    });
    return work;
  }

  private partitionsFor(table: AnyTable, assignment: readonly Assignment[]): Set<number> {
    const count = this.partitionCounts.get(table);
    const wanted = new Set<number>();
    for (const { topic, partitions } of assignment) {
      if (this.topicCounts.get(topic) === count) for (const p of partitions) wanted.add(p);
    }
    return wanted;
  }

  /** A fresh partition on its store, and the changelog offset to read it from. */
  private async openPartition(
    table: AnyTable,
    p: number,
  ): Promise<{ partition: TablePartition<unknown>; from: string }> {
    const store = this.options.storeFor(table);
    const storePartition = await store.open(table.name, p);
    const partition = this.newPartition(p, storePartition, store.persistent);
    const checkpoint = store.persistent ? await storePartition.checkpoint() : undefined;
    const offsets = (await this.options.offsets(table.changelog.name)).find((o) => o.partition === p);
    const low = BigInt(offsets?.low ?? '0');
    const from = checkpoint !== undefined && BigInt(checkpoint) > low ? BigInt(checkpoint) : low;
    return { partition, from: String(from) };
  }

  /**
   * Step 1: take the standby copy, or open the store partition at its checkpoint.
   * Step 2: read the changelog from there to the high watermark.
   * Step 3: make the partition visible to the table (unless it was released meanwhile).
   */
  private async recover(
    table: AnyTable,
    p: number,
    generation: number,
    standby: Standby | undefined,
  ): Promise<void> {
    const started = Date.now();
    const store = this.options.storeFor(table);
    let partition: TablePartition<unknown>;
    let from: bigint;
    if (standby) {
      partition = standby.partition;
      from = BigInt(await standby.follow.stop());
    } else {
      const opened = await this.openPartition(table, p);
      partition = opened.partition;
      from = BigInt(opened.from);
    }
    if (this.closed) {
      await partition.close();
      return;
    }
    const offsets = (await this.options.offsets(table.changelog.name)).find((o) => o.partition === p);
    const high = BigInt(offsets?.high ?? '0');
    if (from < BigInt(offsets?.low ?? '0')) from = BigInt(offsets?.low ?? '0');
    const total = high > from ? Number(high - from) : 0;
    let read = 0;
    const snapshot = { label: `${table.name}[${p}]`, read: 0, total, startedAt: started };
    const progressKey = `${table.name}:${p}`;
    const progress = { table: table.name, partition: p, read: 0, total };
    this.progress.set(progressKey, progress);
    const logProgress = setInterval(() => {
      snapshot.read = read;
      this.log.info(
        { table: table.name, partition: p, ...progressFields(snapshot) },
        'recovering table partition',
      );
      drawProgress(progressBar(snapshot));
    }, 2000);
    try {
      if (this.closed) throw new RecoveryAborted();
      await this.options.reader.read(
        table.changelog.name,
        p,
        String(from),
        String(high),
        async (messages) => {
          partition.applyRecords(messages.map(changelogCodec.decode));
          read += messages.length;
          progress.read = read;
          if (store.persistent)
            await partition.flush(String(BigInt(messages[messages.length - 1]!.offset) + 1n));
        },
      );
    } catch (error) {
      await partition.close().catch(() => undefined);
      if (!this.closed) throw error;
      // the worker is stopping: what was read is checkpointed (persistent stores), the rest waits
      this.log.info({ table: table.name, partition: p, read, of: total }, 'table recovery stopped');
      return;
    } finally {
      clearInterval(logProgress);
      if (this.progress.get(progressKey) === progress) this.progress.delete(progressKey);
      if (Date.now() - started >= 2000) drawProgress(undefined);
    }
    if (store.persistent) await partition.flush(String(high));
    const key = `${table.name}:${p}`;
    if (this.closed || this.generations.get(key) !== generation || !this.recoveries.has(key)) {
      await partition.close(); // released while it was recovering
      return;
    }
    partition.writer = new ChangelogWriter(
      this.options.sender,
      table.changelog.name,
      p,
      this.options.changelogMode,
    );
    this.held.get(table)!.set(p, partition);
    const report: RecoveryReport = {
      table: table.name,
      partition: p,
      records: read,
      fromOffset: String(from),
      highWatermark: String(high),
      promoted: standby !== undefined,
      ms: Date.now() - started,
    };
    this.reports.push(report);
    this.log.info(report, standby ? 'standby table partition promoted' : 'table partition recovered');
  }
}

/** Thrown into a recovery that would start after the manager closed. */
class RecoveryAborted extends Error {
  constructor() {
    super('table recovery aborted: the worker is stopping');
  }
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf(':');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}
