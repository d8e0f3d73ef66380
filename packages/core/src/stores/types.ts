/**
 * Where table partitions keep their data. A table keeps decoded values in memory (all of them
 * with the memory store; a write-back cache with a persistent store) and talks to a
 * PartitionStore only in batches: on a cache miss, at checkpoint, during recovery.
 */

/** A put (value bytes) or a delete (null). */
export interface StoreWrite {
  key: string;
  value: Buffer | null;
}

export interface PartitionStore {
  /** The stored bytes of `key`, or undefined. */
  get(key: string): Promise<Buffer | undefined>;
  /**
   * Applies the writes atomically together with `checkpoint`: the changelog offset the
   * partition's data now reflects (the next offset to read on recovery).
   */
  write(writes: readonly StoreWrite[], checkpoint: string | undefined): Promise<void>;
  /** The changelog offset of the last write, if one was checkpointed. */
  checkpoint(): Promise<string | undefined>;
  /** Every entry in key order. */
  entries(): AsyncIterable<[string, Buffer]>;
  close(): Promise<void>;
}

/** Opens one PartitionStore per table partition. */
export interface Store {
  /** `memory`: nothing persisted, recovery replays the whole changelog. */
  readonly kind: string;
  /** True when data survives a restart (then a checkpoint lets recovery read only the changelog tail). */
  readonly persistent: boolean;
  open(table: string, partition: number): Promise<PartitionStore>;
  /** Removes a partition's data (it moved to another worker, or is being rebuilt). */
  drop(table: string, partition: number): Promise<void>;
}
