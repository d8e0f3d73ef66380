import type { PartitionStore, Store, StoreWrite } from './types.js';

/** A sorted-on-read Map of bytes; the table above it already holds every decoded value. */
export class MemoryPartitionStore implements PartitionStore {
  private readonly data = new Map<string, Buffer>();
  private offset: string | undefined;

  async get(key: string): Promise<Buffer | undefined> {
    return this.data.get(key);
  }

  async write(writes: readonly StoreWrite[], checkpoint: string | undefined): Promise<void> {
    for (const { key, value } of writes) {
      if (value === null) this.data.delete(key);
      else this.data.set(key, value);
    }
    if (checkpoint !== undefined) this.offset = checkpoint;
  }

  async checkpoint(): Promise<string | undefined> {
    return this.offset;
  }

  async *entries(): AsyncIterable<[string, Buffer]> {
    for (const key of [...this.data.keys()].sort()) yield [key, this.data.get(key)!];
  }

  async close(): Promise<void> {}
}

/**
 * Keeps table partitions in process memory: fast, and rebuilt from the changelog from its
 * start whenever a worker gets the partition (as Faust's `memory://`).
 */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly persistent = false;

  async open(): Promise<PartitionStore> {
    return new MemoryPartitionStore();
  }

  async drop(): Promise<void> {}
}
