import type { ZodType } from 'zod';
import { StromError } from '../errors/errors.js';
import type { Store } from '../stores/types.js';
import { currentEventFor } from '../streams/current-event.js';
import type { StreamEvent } from '../streams/event.js';
import type { Topic } from '../topics/topic.js';
import {
  hopping as hoppingSpec,
  session as sessionSpec,
  sliding as slidingSpec,
  tumbling as tumblingSpec,
  type WindowSpec,
} from '../windows/window.js';
import { ALL_PARTITIONS, changelogCodec } from './changelog.js';
import type { TablePartition } from './table-partition.js';
import { WindowedTable, type WindowOptions } from './windowed-table.js';

export interface TableOptions<K, V> {
  /** Value of a key never set (like Faust's `default=int`); without it `get` may return undefined. */
  default?: () => V;
  /**
   * Partitions of the table and its changelog. Default: the partition count of the topics the
   * app reads (they must agree; a table is co-partitioned with the stream that writes it).
   */
  partitions?: number;
  /** `memory` (default: the app's `store`), `rocksdb`, or a Store of your own. */
  store?: 'memory' | 'rocksdb' | Store;
  /** zod schema of keys (types only; keys are JSON in the changelog). */
  key?: ZodType<K>;
  /** zod schema of values (types only; values are JSON in the changelog). */
  value?: ZodType<V>;
}

/** Who holds the table's partitions: the worker (assigned ones) or the test harness (any). */
export interface TablePartitions {
  partitionFor(table: Table<unknown, unknown>, partition: number): TablePartition<unknown> | undefined;
  localPartitions(table: Table<unknown, unknown>): Iterable<TablePartition<unknown>>;
}

/**
 * A key/value table with a changelog topic: every write updates the local partition and
 * produces a record to `<appId>-<table>-changelog` on the partition of the event being
 * processed (through the partition's changelog writer), so a worker that takes the partition
 * over rebuilds the same state.
 *
 * @example
 * const counts = app.table('vendor_rides', { default: () => 0 })
 * app.agent(rides, async (stream) => {
 *   for await (const ride of stream.groupBy((r) => r.vendorId, { name: 'vendorId' })) {
 *     await counts.update(ride.vendorId, (n) => n + 1)
 *   }
 * })
 */
export class Table<K = unknown, V = unknown, R = V | undefined> {
  readonly name: string;
  /** `<appId>-<name>-changelog`, declared by the app. */
  readonly changelog: Topic;
  readonly partitions: number | undefined;
  readonly storeOption: TableOptions<K, V>['store'];
  /** Every worker holds all of it and follows every changelog partition (app.globalTable). */
  readonly global: boolean;
  private readonly defaultValue: (() => V) | undefined;
  private holder: TablePartitions | undefined;
  private windowSpec: WindowSpec | undefined;
  /** The windowed view made of this table, for queries from outside agents (the web server). */
  private windowView: WindowedTable<K, V, never, R, unknown> | undefined;

  /** @internal use `app.table()` */
  constructor(name: string, changelog: Topic, options: TableOptions<K, V> & { global?: boolean }) {
    this.name = name;
    this.changelog = changelog;
    this.partitions = options.partitions;
    this.storeOption = options.store;
    this.defaultValue = options.default;
    this.global = options.global ?? false;
  }

  /** @internal the worker or harness that holds the partitions */
  attach(holder: TablePartitions | undefined): void {
    this.holder = holder;
  }

  /** The value of `key` in the partition of the current event (default if unset). */
  async get(key: K): Promise<R> {
    const value = await this.read(changelogCodec.keyId(key));
    return (value === undefined ? this.defaultValue?.() : value) as R;
  }

  async has(key: K): Promise<boolean> {
    return (await this.read(changelogCodec.keyId(key))) !== undefined;
  }

  /**
   * Sets `key` in the current event's partition and writes the change to the changelog.
   * Returns a promise only when the producer is full: await it to wait for room (backpressure).
   */
  set(key: K, value: V): void | Promise<void> {
    const { partition, id } = this.writePartition(key);
    return partition.write(id, value);
  }

  /** Deletes `key` (a tombstone in the changelog); returns a promise as {@link set} does. */
  delete(key: K): void | Promise<void> {
    const { partition, id } = this.writePartition(key);
    return partition.write(id, undefined);
  }

  /** Reads `key`, applies `fn`, stores and returns the result (waiting for room in the producer if it is full). */
  async update(key: K, fn: (current: R) => V): Promise<V> {
    const { partition, id } = this.writePartition(key);
    const hit = partition.peek(id);
    const current = hit.found ? hit.value : await partition.get(id);
    const next = fn((current === undefined ? this.defaultValue?.() : current) as R);
    const full = partition.write(id, next);
    if (full !== undefined) await full;
    return next;
  }

  /** Entries of the partitions this worker holds. */
  async *entries(): AsyncIterable<[K, V]> {
    for (const partition of this.holder?.localPartitions(this as Table<unknown, unknown>) ?? []) {
      for await (const [id, value] of partition.entries()) yield [JSON.parse(id) as K, value as V];
    }
  }

  /**
   * The local entries as a plain object: string keys as they are, other keys as their JSON text
   * (`{"1": 87, "2": 179}` for the numbers 1 and 2 — so the string "1" and the number 1 collide here).
   */
  async toObject(): Promise<Record<string, V>> {
    const result: Record<string, V> = {};
    for await (const [key, value] of this.entries())
      result[typeof key === 'string' ? key : JSON.stringify(key)] = value;
    return result;
  }

  toString(): string {
    return `table ${this.name}`;
  }

  /**
   * The kind of windows the table holds once a windowed view was made of it (`tumbling`,
   * `hopping`, `sliding`, `session`); its keys are then `[key, windowStartMs, windowEndMs]`.
   */
  get windowKind(): WindowSpec['kind'] | undefined {
    return this.windowSpec?.kind;
  }

  /** @internal the partition of the event being processed (for windowed tables) */
  eventPartition(): { partition: TablePartition<V>; event: StreamEvent } {
    const event = currentEventFor(this);
    if (event === undefined) {
      throw new StromError('CONFIG', `${this}: write it from agent code, while an event is processed`);
    }
    const partition = this.holder?.partitionFor(this as Table<unknown, unknown>, event.partition);
    if (partition === undefined) {
      throw new StromError('TOPIC', `${this} has no partition ${event.partition} here`, {
        topic: event.topic,
        partition: event.partition,
        offset: event.offset,
      });
    }
    return { partition: partition as TablePartition<V>, event };
  }

  /** @internal the windowed view, once one was made (`tumbling()`, `hopping()`, ...) */
  get windowedView(): WindowedTable<K, V, never, R, unknown> | undefined {
    return this.windowView;
  }

  /** @internal the value of a missing key */
  defaultFor(): V | undefined {
    return this.defaultValue?.();
  }

  /** @internal the local partitions */
  partitionsHere(): Iterable<TablePartition<V>> {
    return (this.holder?.localPartitions(this as Table<unknown, unknown>) ?? []) as Iterable<
      TablePartition<V>
    >;
  }

  /**
   * A tumbling-window view of this table: one window of `sizeMs` per key and period.
   * Windows close (final results) when stream time passes their end + grace.
   */
  tumbling<E = unknown, F = V>(sizeMs: number, options: WindowOptions<K, V, E, F> = {}) {
    return this.windowed(() => tumblingSpec(sizeMs), options);
  }

  /** A hopping-window view: windows of `sizeMs` starting every `advanceMs`. */
  hopping<E = unknown, F = V>(sizeMs: number, advanceMs: number, options: WindowOptions<K, V, E, F> = {}) {
    return this.windowed(() => hoppingSpec(sizeMs, advanceMs), options);
  }

  /**
   * A sliding-window view (Kafka Streams' SlidingWindows): each window holds the records within
   * `maxDifferenceMs` of each other. Needs `{ aggregate }`; write with `add(key, value)`.
   */
  sliding<E = unknown, F = V>(maxDifferenceMs: number, options: WindowOptions<K, V, E, F> = {}) {
    return this.windowed(() => slidingSpec(maxDifferenceMs), options);
  }

  /**
   * A session-window view: per key, records less than `inactivityGapMs` apart share a session;
   * a record that bridges two sessions merges them. Needs `{ aggregate }`; write with `add`.
   */
  session<E = unknown, F = V>(inactivityGapMs: number, options: WindowOptions<K, V, E, F> = {}) {
    return this.windowed(() => sessionSpec(inactivityGapMs), options);
  }

  /** The windowed view of a spec; a bad spec (a size of 0, say) is a config error naming the table. */
  private windowed<E, F>(
    makeSpec: () => WindowSpec,
    options: WindowOptions<K, V, E, F>,
  ): WindowedTable<K, V, E, R, F> {
    let spec: WindowSpec;
    try {
      spec = makeSpec();
    } catch (error) {
      throw new StromError('CONFIG', `${this}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const windowed = new WindowedTable<K, V, E, R, F>(this, spec, options);
    this.windowSpec = spec;
    this.windowView = windowed as unknown as WindowedTable<K, V, never, R, unknown>;
    return windowed;
  }

  private writePartition(key: K): { partition: TablePartition<V>; id: string } {
    const id = changelogCodec.keyId(key);
    if (this.global) {
      // a global table's changelog is partitioned by key, so it may be written from anywhere
      const partition = this.holder?.partitionFor(this as Table<unknown, unknown>, ALL_PARTITIONS);
      if (partition === undefined)
        throw new StromError('NOT_RUNNING', `${this} is not loaded: no worker runs it`);
      return { partition: partition as TablePartition<V>, id };
    }
    const event = currentEventFor(this);
    if (event === undefined) {
      throw new StromError('CONFIG', `${this}: write it from agent code, while an event is processed`);
    }
    const partition = this.holder?.partitionFor(this as Table<unknown, unknown>, event.partition);
    if (partition === undefined) {
      throw new StromError(
        'TOPIC',
        `${this} has no partition ${event.partition} here: is it co-partitioned with ${event.topic}?`,
        { topic: event.topic, partition: event.partition, offset: event.offset },
      );
    }
    return { partition: partition as TablePartition<V>, id };
  }

  /**
   * Inside a stream: the key in the event's partition. Outside (a timer, a web handler): the
   * first local partition whose cache or store has the key.
   */
  private async read(id: string): Promise<V | undefined> {
    const self = this as Table<unknown, unknown>;
    const event = this.global ? undefined : currentEventFor(this);
    if (this.global || event !== undefined) {
      const partition = this.holder?.partitionFor(self, this.global ? ALL_PARTITIONS : event!.partition);
      return (await partition?.get(id)) as V | undefined;
    }
    for (const partition of this.holder?.localPartitions(self) ?? []) {
      const value = await partition.get(id);
      if (value !== undefined) return value as V;
    }
    return undefined;
  }
}
