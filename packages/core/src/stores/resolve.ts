import { join, resolve } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { MemoryStore } from './memory-store.js';
import { RocksDbStore } from './rocksdb-store.js';
import type { Store } from './types.js';

/**
 * Stores by kind for one worker: one MemoryStore, and one RocksDbStore per state directory
 * (`<stateDir>/<appId>/`), shared by every table of the app. It logs the damaged partition
 * databases the RocksDB store moves aside.
 */
export class StoreRegistry {
  private readonly memory = new MemoryStore();
  private rocksdb: RocksDbStore | undefined;

  constructor(private readonly options: { stateDir: string; appId: string; log: Logger }) {}

  /** The Store for a table: one given directly, or one of the named kinds. */
  resolve(spec: 'memory' | 'rocksdb' | Store): Store {
    if (typeof spec !== 'string') return spec;
    if (spec === 'memory') return this.memory;
    this.rocksdb ??= this.createRocksDb();
    return this.rocksdb;
  }

  private createRocksDb(): RocksDbStore {
    const log = this.options.log.child({ component: 'stores' });
    return new RocksDbStore({
      dir: resolve(join(this.options.stateDir, this.options.appId)),
      onDamaged: (damage) =>
        log.warn(damage, 'damaged table partition moved aside; rebuilding it from the changelog'),
    });
  }
}
