import { StromError } from '../errors/errors.js';
import type { PartitionStore, StoreWrite } from '../stores/types.js';
import type { ChangelogWriter } from './changelog.js';

/**
 * One partition of a table: decoded values in memory in front of a PartitionStore. With a
 * non-persistent store the map holds everything; with a persistent one it is a write-back
 * cache: writes stay in `dirty` until `flush()` writes them in one batch.
 */
export class TablePartition<V> {
  private readonly values = new Map<string, V>();
  private readonly dirty = new Map<string, V | undefined>();
  /** Where changes go while the partition is active; none while it recovers or stands by. */
  writer: ChangelogWriter | undefined;

  constructor(
    readonly partition: number,
    private readonly store: PartitionStore,
    /** True when `values` holds every key (memory store): a miss needs no store read. */
    private readonly complete: boolean,
    private readonly encode: (value: V) => Buffer,
    private readonly decode: (bytes: Buffer) => V,
    /** With a persistent store: how many clean values stay in memory (least recently used go). */
    private readonly cacheSize = 100_000,
  ) {}

  /** Drops the least recently used clean values above the cache size (persistent stores only). */
  private evict(): void {
    if (this.complete || this.values.size <= this.cacheSize) return;
    for (const key of this.values.keys()) {
      if (this.values.size <= this.cacheSize) break;
      if (!this.dirty.has(key)) this.values.delete(key);
    }
  }

  /** Synchronous hit, if the value is in memory (or known absent). */
  peek(key: string): { found: boolean; value: V | undefined } {
    if (this.values.has(key)) {
      const value = this.values.get(key) as V;
      if (!this.complete) {
        // most recently used last: eviction takes from the front
        this.values.delete(key);
        this.values.set(key, value);
      }
      return { found: true, value };
    }
    if (this.complete || this.dirty.has(key)) return { found: true, value: undefined };
    return { found: false, value: undefined };
  }

  async get(key: string): Promise<V | undefined> {
    const hit = this.peek(key);
    if (hit.found) return hit.value;
    const bytes = await this.store.get(key);
    if (bytes === undefined) return undefined;
    const value = this.decode(bytes);
    if (!this.dirty.has(key)) this.values.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    this.values.set(key, value);
    if (!this.complete) this.dirty.set(key, value);
  }

  delete(key: string): void {
    this.values.delete(key);
    if (!this.complete) this.dirty.set(key, undefined);
  }

  /**
   * A change made by agent code: `key` set (or deleted, with undefined) here and recorded in the
   * changelog. Returns a promise only when the producer asks the caller to wait.
   */
  write(key: string, value: V | undefined): void | Promise<void> {
    if (this.writer === undefined)
      throw new StromError(
        'NOT_RUNNING',
        `table partition ${this.partition} is not active here: it cannot be written`,
      );
    if (value === undefined) this.delete(key);
    else this.set(key, value);
    return this.writer.write(key, value);
  }

  /** Applies changelog records (recovery): value undefined = tombstone. */
  applyRecords(records: ReadonlyArray<[string, V | undefined]>): void {
    for (const [key, value] of records) {
      if (value === undefined) this.delete(key);
      else this.set(key, value);
    }
  }

  /** Writes dirty entries to the store with the changelog offset they reflect. */
  async flush(checkpoint: string | undefined): Promise<number> {
    if (this.complete && checkpoint === undefined) return 0;
    const flushed = [...this.dirty];
    const writes: StoreWrite[] = flushed.map(([key, value]) => ({
      key,
      value: value === undefined ? null : this.encode(value),
    }));
    await this.store.write(writes, checkpoint);
    // forget only what was written: a failed write keeps them dirty, a newer change stays dirty
    for (const [key, value] of flushed) if (this.dirty.get(key) === value) this.dirty.delete(key);
    this.evict();
    return writes.length;
  }

  checkpoint(): Promise<string | undefined> {
    return this.store.checkpoint();
  }

  /** Every entry of the partition (memory first, then store entries not shadowed). */
  async *entries(): AsyncIterable<[string, V]> {
    if (this.complete) {
      yield* [...this.values.entries()];
      return;
    }
    for await (const [key, bytes] of this.store.entries()) {
      if (this.dirty.has(key)) continue;
      yield [key, this.values.get(key) ?? this.decode(bytes)];
    }
    for (const [key, value] of this.dirty) if (value !== undefined) yield [key, value];
  }

  /** Entries changed since the last flush (always 0 with a non-persistent store). */
  get dirtyCount(): number {
    return this.dirty.size;
  }

  get size(): number {
    return this.values.size;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
