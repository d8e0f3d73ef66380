import { mkdir, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, StromError } from '../errors/errors.js';
import {
  damageCause,
  damageMark,
  hasFiles,
  isLockError,
  markDamaged,
  moveAside,
  type StoreDamage,
  StoreDamagedError,
} from './rocksdb-damage.js';
import type { PartitionStore, Store, StoreWrite } from './types.js';

/*
 * The RocksDB binding is `rocksdb-native` (Holepunch; docs/decisions/0002-table-store.md says
 * why). It ships no types, so the few calls used here get a minimal interface. It is loaded on
 * the first open, not at import: importing @strom/core does no I/O, and an app on the memory
 * store never loads the native module (nor fails on a platform without a prebuild).
 */
interface NativeDb {
  ready(): Promise<void>;
  get(key: Buffer): Promise<Buffer | null>;
  write(options: { capacity: number; autoDestroy: true }): NativeWriteBatch;
  iterator(
    range: { gte: Buffer },
    options: { capacity: number },
  ): AsyncIterable<{ key: Buffer; value: Buffer }>;
  close(): Promise<void>;
}
interface NativeWriteBatch {
  tryPut(key: Buffer, value: Buffer): void;
  tryDelete(key: Buffer): void;
  flush(): Promise<void>;
}
type NativeDbClass = new (
  path: string,
  options: { createIfMissing: boolean; writeBufferSize: number },
) => NativeDb;

let nativeDbClass: NativeDbClass | undefined;

function loadBinding(): NativeDbClass {
  if (nativeDbClass === undefined) {
    try {
      nativeDbClass = createRequire(import.meta.url)('rocksdb-native') as NativeDbClass;
    } catch (cause) {
      throw new ConfigError(
        `store "rocksdb" needs the native module rocksdb-native, which did not load on ${process.platform}-${process.arch} ` +
          '(prebuilds: linux x64/arm64 with glibc and libatomic, darwin, win32); use store "memory" here',
        { cause },
      );
    }
  }
  return nativeDbClass;
}

/**
 * The key under which a partition database keeps its changelog checkpoint. Table keys are JSON
 * texts, whose first byte is never NUL (a JSON text starts with whitespace or a value), so every
 * key that starts with `\0` is reserved for the store: {@link RocksDbPartitionStore.entries} skips
 * them and writes of such keys are refused. (Faust uses `__faust\0offset__`, which a string key
 * could in principle collide with.)
 */
export const CHECKPOINT_KEY = '\u0000strom:checkpoint';
const CHECKPOINT_KEY_BYTES = Buffer.from(CHECKPOINT_KEY, 'utf8');
/** The smallest key that is not reserved: entries() starts here. */
const FIRST_TABLE_KEY = Buffer.from([0x01]);
/** Entries fetched per native call while iterating (the binding's default of 8 is ~2x slower). */
const ITERATOR_CAPACITY = 1024;

function keyBytes(key: string): Buffer {
  if (key.charCodeAt(0) === 0) {
    throw new StromError(
      'USAGE',
      `table key ${JSON.stringify(key)} starts with NUL, which the store reserves`,
    );
  }
  return Buffer.from(key, 'utf8');
}

/**
 * A partition's database stayed locked for the whole retry budget: another process (a worker
 * sharing the state directory, or one still shutting down) or another open store in this
 * process holds it.
 */
export class StoreLockedError extends StromError {
  readonly path: string;
  readonly table: string;

  constructor(table: string, partition: number, path: string, waitedMs: number, cause: unknown) {
    super(
      'STORE',
      `table "${table}" partition ${partition}: the RocksDB database ${path} is still locked after ${waitedMs} ms; ` +
        'another process (or another open store in this one) uses it. Give each worker its own state directory, ' +
        'or stop the other process',
      { partition, cause },
    );
    this.name = 'StoreLockedError';
    this.path = path;
    this.table = table;
  }
}

export interface RocksDbStoreOptions {
  /** The state directory; partition `p` of table `t` lives in `<dir>/<t>-<p>`. */
  dir: string;
  /** Further open attempts while the database is locked (default 30, Faust's number). */
  lockRetries?: number;
  /** Wait between those attempts (default 1000). */
  lockRetryDelayMs?: number;
  /**
   * RocksDB memtable size per partition database (default 4 MiB, as the Level bindings). With a
   * database per partition, RocksDB's own 64 MiB means up to 128 MiB of memtables per partition
   * and a reopen that replays up to 64 MiB of write-ahead log (2.8 s for 1M keys, against 0.09 s).
   */
  writeBufferBytes?: number;
  /**
   * Told once per damaged partition database the store moved aside (default: a process
   * warning). The worker logs it.
   */
  onDamaged?: (damage: StoreDamage) => void;
}

/** Where a partition database lives, for its errors. */
interface PartitionLocation {
  table: string;
  partition: number;
  path: string;
}

/** One table partition's RocksDB database. Keys are the UTF-8 bytes of the table key, so entries come in UTF-8 byte order. */
export class RocksDbPartitionStore implements PartitionStore {
  private closing: Promise<void> | undefined;

  constructor(
    private readonly db: NativeDb,
    private readonly location: PartitionLocation,
    /** Told when closing starts, with the close in flight. */
    private readonly onClose: (closed: Promise<void>) => void,
  ) {}

  async get(key: string): Promise<Buffer | undefined> {
    const bytes = keyBytes(key);
    try {
      return (await this.db.get(bytes)) ?? undefined;
    } catch (error) {
      throw await this.damaged(error);
    }
  }

  async write(writes: readonly StoreWrite[], checkpoint: string | undefined): Promise<void> {
    if (writes.length === 0 && checkpoint === undefined) return;
    // Encode (and validate) every key before the batch exists, so a bad key cannot leave a half-built batch.
    const ops = writes.map(({ key, value }) => [keyBytes(key), value] as const);
    // One RocksDB WriteBatch: the data and the checkpoint become visible (and durable) together or not at all.
    const batch = this.db.write({ capacity: ops.length + 1, autoDestroy: true });
    for (const [key, value] of ops) {
      if (value === null) batch.tryDelete(key);
      else batch.tryPut(key, value);
    }
    if (checkpoint !== undefined) batch.tryPut(CHECKPOINT_KEY_BYTES, Buffer.from(checkpoint, 'utf8'));
    try {
      await batch.flush();
    } catch (error) {
      throw await this.damaged(error);
    }
  }

  async checkpoint(): Promise<string | undefined> {
    try {
      return (await this.db.get(CHECKPOINT_KEY_BYTES))?.toString('utf8');
    } catch (error) {
      throw await this.damaged(error);
    }
  }

  /** Every table entry in key order (UTF-8 byte order), from a consistent snapshot taken when iteration starts. */
  async *entries(): AsyncIterable<[string, Buffer]> {
    const entries = this.db.iterator({ gte: FIRST_TABLE_KEY }, { capacity: ITERATOR_CAPACITY });
    try {
      for await (const { key, value } of entries) yield [key.toString('utf8'), value];
    } catch (error) {
      throw await this.damaged(error);
    }
  }

  /** Closes the database (waiting for running reads and writes); later calls return the same promise. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closing = this.db.close();
      this.onClose(this.closing);
    }
    return this.closing;
  }

  /**
   * A read or write failed: when the files are damaged, marks the database so that the next
   * open moves it aside, and says so; any other error is returned as it is.
   */
  private async damaged(error: unknown): Promise<unknown> {
    const cause = damageCause(error);
    if (cause === undefined) return error;
    const { table, partition, path } = this.location;
    await markDamaged(path, cause);
    return new StoreDamagedError(table, partition, path, error);
  }
}

/**
 * Keeps each table partition in its own RocksDB database under a state directory, with the
 * changelog checkpoint inside it, so a restarted worker reads only the changelog tail (as
 * Faust's `rocksdb://`). The table in front of it caches values and writes in batches.
 *
 * @example
 * const store = new RocksDbStore({ dir: '.strom-data/my-app' });
 * const part = await store.open('clicks', 0);
 * await part.write([{ key: '"alice"', value: Buffer.from('3') }], '42');
 * await part.checkpoint(); // '42'
 * await part.close();
 */
export class RocksDbStore implements Store {
  readonly kind = 'rocksdb';
  readonly persistent = true;
  readonly dir: string;
  private readonly lockRetries: number;
  private readonly lockRetryDelayMs: number;
  private readonly writeBufferBytes: number;
  private readonly onDamaged: (damage: StoreDamage) => void;
  /** Partition databases this store has open, by path. */
  private readonly opened = new Map<string, RocksDbPartitionStore>();
  /** Closes in flight, by path: a reopen waits for them instead of hitting the lock. */
  private readonly closing = new Map<string, Promise<void>>();

  constructor(options: RocksDbStoreOptions) {
    this.dir = options.dir;
    this.lockRetries = options.lockRetries ?? 30;
    this.lockRetryDelayMs = options.lockRetryDelayMs ?? 1000;
    this.writeBufferBytes = options.writeBufferBytes ?? 4 * 1024 * 1024;
    this.onDamaged = options.onDamaged ?? warnOfDamage;
  }

  /** The directory of one partition's database. */
  pathOf(table: string, partition: number): string {
    return join(this.dir, `${table}-${partition}`);
  }

  /**
   * Opens (creating) the partition's database. While it is locked, by a close still running in
   * this process after a rebalance or by a process that is shutting down, retries up to
   * `lockRetries` times `lockRetryDelayMs` apart, then throws {@link StoreLockedError}.
   *
   * A damaged database (RocksDB cannot open it or read its checkpoint, or a read marked it) is
   * moved aside to `<path>.corrupt-<time>`, reported to `onDamaged`, and replaced by an empty
   * one: without a checkpoint, the partition is rebuilt from its changelog's start.
   */
  async open(table: string, partition: number): Promise<PartitionStore> {
    const path = this.pathOf(table, partition);
    const RocksDb = loadBinding();
    await mkdir(this.dir, { recursive: true });
    const started = Date.now();
    let movedAside = false;
    for (let attempt = 0; ; attempt++) {
      await this.closing.get(path);
      // files without CURRENT are a damaged database, not room for a new one
      const createIfMissing = !(await hasFiles(path));
      const db = new RocksDb(path, { createIfMissing, writeBufferSize: this.writeBufferBytes });
      let cause: string | undefined;
      try {
        await db.ready();
        // a first read: a damaged block holding the checkpoint shows now rather than mid-recovery
        await db.get(CHECKPOINT_KEY_BYTES);
        cause = await damageMark(path);
      } catch (error) {
        if (isLockError(error)) {
          if (attempt >= this.lockRetries) {
            throw new StoreLockedError(table, partition, path, Date.now() - started, error);
          }
          await sleep(this.lockRetryDelayMs);
          continue;
        }
        cause = damageCause(error);
        // not damage (a full disk, no permission), or still failing on a fresh database: an error
        if (cause === undefined || movedAside) {
          await db.close().catch(() => undefined); // it may have opened: release the lock
          throw error;
        }
      }
      if (cause !== undefined) {
        await db.close().catch(() => undefined);
        const movedTo = await moveAside(path);
        movedAside = true;
        this.onDamaged({ table, partition, path, movedTo, cause });
        continue;
      }
      const store: RocksDbPartitionStore = new RocksDbPartitionStore(
        db,
        { table, partition, path },
        (closed) => this.closed(path, store, closed),
      );
      this.opened.set(path, store);
      return store;
    }
  }

  /**
   * Deletes the partition's database, closing it first if this store has it open. Refuses
   * (StoreLockedError, no retry) when another process or store holds it: its files are in use.
   */
  async drop(table: string, partition: number): Promise<void> {
    const path = this.pathOf(table, partition);
    const open = this.opened.get(path);
    if (open !== undefined) await open.close();
    await this.closing.get(path);
    if (!(await exists(path))) return;
    // Step 1: take the lock for a moment, to be sure nobody else has the files open.
    const db = new (loadBinding())(path, { createIfMissing: false, writeBufferSize: this.writeBufferBytes });
    try {
      await db.ready();
      await db.close();
    } catch (error) {
      if (isLockError(error)) throw new StoreLockedError(table, partition, path, 0, error);
      // not a database (e.g. a half-created directory): delete it anyway
    }
    // Step 2: delete it.
    await rm(path, { recursive: true, force: true });
  }

  /** Forgets a partition store that is closing, and remembers the close until it settles. */
  private closed(path: string, store: RocksDbPartitionStore, closed: Promise<void>): void {
    if (this.opened.get(path) === store) this.opened.delete(path);
    const settled = closed.then(
      () => {},
      () => {},
    );
    this.closing.set(path, settled);
    void settled.then(() => {
      if (this.closing.get(path) === settled) this.closing.delete(path);
    });
  }
}

function warnOfDamage({ table, partition, movedTo, cause }: StoreDamage): void {
  process.emitWarning(
    `table "${table}" partition ${partition}: damaged RocksDB database moved aside to ${movedTo} (${cause}); ` +
      'it is rebuilt from the changelog',
    { code: 'STROM_STORE_DAMAGED' },
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
