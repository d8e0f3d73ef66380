/**
 * One adapter per candidate RocksDB binding, each exposing the same five operations the table
 * store needs: open (creating), an atomic batch put, a point get, a multi-get, a full ordered
 * scan and close. The packages have no (or loose) types, so each gets a minimal typed interface
 * of exactly what is used here, loaded through `createRequire` (all three are CommonJS) from
 * this folder's own node_modules: `pnpm --dir bench/stores install`.
 */
import { createRequire } from 'node:module';

export type BindingName = 'rocksdb' | 'rocksdb-native' | '@nxtedition/rocksdb';
export const BINDINGS: readonly BindingName[] = ['rocksdb', 'rocksdb-native', '@nxtedition/rocksdb'];

export interface Adapter {
  /** Opens (creating) the database at `dir`. */
  open(dir: string): Promise<void>;
  /** Writes all entries in one atomic write batch. */
  putBatch(entries: readonly (readonly [Buffer, Buffer])[]): Promise<void>;
  get(key: Buffer): Promise<Buffer | undefined>;
  getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]>;
  /** Reads every entry in key order; returns the count and the byte total (so nothing is optimized away). */
  scan(): Promise<{ count: number; bytes: number }>;
  close(): Promise<void>;
}

type Callback<T> = (error: Error | null | undefined, result?: T) => void;

const require = createRequire(import.meta.url);

/** `rocksdb` 5.2.1 (Level, abstract-leveldown 7): callback API, RocksDB 6.17.3. */
interface LevelDown {
  open(options: { createIfMissing: boolean }, callback: Callback<void>): void;
  batch(
    operations: { type: 'put'; key: Buffer; value: Buffer }[],
    options: Record<string, never>,
    callback: Callback<void>,
  ): void;
  get(key: Buffer, options: { asBuffer: true }, callback: Callback<Buffer>): void;
  getMany(keys: Buffer[], options: { asBuffer: true }, callback: Callback<(Buffer | undefined)[]>): void;
  iterator(options: { keyAsBuffer: true; valueAsBuffer: true }): LevelDownIterator;
  close(callback: Callback<void>): void;
}
interface LevelDownIterator {
  next(callback: (error: Error | null | undefined, key?: Buffer, value?: Buffer) => void): void;
  end(callback: Callback<void>): void;
}

function promised<T>(call: (callback: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    call((error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

class LevelDownAdapter implements Adapter {
  private db: LevelDown | undefined;

  async open(dir: string): Promise<void> {
    const factory = require('rocksdb') as (location: string) => LevelDown;
    const db = factory(dir);
    await promised<void>((cb) => db.open({ createIfMissing: true }, cb));
    this.db = db;
  }

  putBatch(entries: readonly (readonly [Buffer, Buffer])[]): Promise<void> {
    const ops = entries.map(([key, value]) => ({ type: 'put' as const, key, value }));
    return promised<void>((cb) => this.db!.batch(ops, {}, cb));
  }

  get(key: Buffer): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      this.db!.get(key, { asBuffer: true }, (error, value) => {
        if (error && /NotFound/.test(error.message)) resolve(undefined);
        else if (error) reject(error);
        else resolve(value);
      });
    });
  }

  getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    return promised((cb) => this.db!.getMany([...keys], { asBuffer: true }, cb));
  }

  async scan(): Promise<{ count: number; bytes: number }> {
    const it = this.db!.iterator({ keyAsBuffer: true, valueAsBuffer: true });
    let count = 0;
    let bytes = 0;
    for (;;) {
      const entry = await new Promise<[Buffer, Buffer] | undefined>((resolve, reject) => {
        it.next((error, key, value) => {
          if (error) reject(error);
          else resolve(key === undefined ? undefined : [key, value!]);
        });
      });
      if (entry === undefined) break;
      count++;
      bytes += entry[0].length + entry[1].length;
    }
    await promised<void>((cb) => it.end(cb));
    return { count, bytes };
  }

  close(): Promise<void> {
    return promised<void>((cb) => this.db!.close(cb));
  }
}

/** `rocksdb-native` 3.18.1 (Holepunch): batch-oriented promise API, RocksDB 10.5.1. */
interface NativeDb {
  ready(): Promise<void>;
  /** Flushes the memtable to an SST file (so the next open replays no write-ahead log). */
  flush(): Promise<void>;
  read(options?: { capacity?: number }): NativeReadBatch;
  write(options?: { capacity?: number }): NativeWriteBatch;
  get(key: Buffer): Promise<Buffer | null>;
  iterator(
    range: Record<string, never>,
    options: { capacity: number },
  ): AsyncIterable<{ key: Buffer; value: Buffer }>;
  close(): Promise<void>;
}
interface NativeReadBatch {
  get(key: Buffer): Promise<Buffer | null>;
  tryFlush(): void;
  destroy(): void;
}
interface NativeWriteBatch {
  tryPut(key: Buffer, value: Buffer): void;
  flush(): Promise<void>;
  destroy(): void;
}
type NativeCtor = new (path: string, options: { writeBufferSize?: number }) => NativeDb;

export interface NativeOptions {
  /** Entries fetched per native call while scanning (the binding's default is 8). */
  iteratorCapacity: number;
  /** RocksDB memtable size; undefined = the binding's default (64 MiB). */
  writeBufferBytes?: number | undefined;
  /** Flush the memtable before closing. */
  flushOnClose?: boolean | undefined;
}

class NativeAdapter implements Adapter {
  private db: NativeDb | undefined;

  constructor(private readonly options: NativeOptions) {}

  async open(dir: string): Promise<void> {
    const RocksDB = require('rocksdb-native') as NativeCtor;
    const { writeBufferBytes } = this.options;
    const db = new RocksDB(dir, writeBufferBytes === undefined ? {} : { writeBufferSize: writeBufferBytes });
    await db.ready();
    this.db = db;
  }

  async putBatch(entries: readonly (readonly [Buffer, Buffer])[]): Promise<void> {
    const batch = this.db!.write({ capacity: entries.length });
    for (const [key, value] of entries) batch.tryPut(key, value);
    try {
      await batch.flush();
    } finally {
      batch.destroy();
    }
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    return (await this.db!.get(key)) ?? undefined;
  }

  async getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    const batch = this.db!.read({ capacity: keys.length });
    const pending = keys.map((key) => batch.get(key));
    batch.tryFlush();
    try {
      return (await Promise.all(pending)).map((value) => value ?? undefined);
    } finally {
      batch.destroy();
    }
  }

  async scan(): Promise<{ count: number; bytes: number }> {
    let count = 0;
    let bytes = 0;
    for await (const { key, value } of this.db!.iterator({}, { capacity: this.options.iteratorCapacity })) {
      count++;
      bytes += key.length + value.length;
    }
    return { count, bytes };
  }

  async close(): Promise<void> {
    if (this.options.flushOnClose) await this.db!.flush();
    await this.db!.close();
  }
}

/** `@nxtedition/rocksdb` 12.2.12: abstract-level 1.x promise API, RocksDB 9.7.4. */
interface NxtDb {
  open(): Promise<void>;
  batch(operations: { type: 'put'; key: Buffer; value: Buffer }[]): Promise<void>;
  get(key: Buffer): Promise<Buffer>;
  getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]>;
  iterator(): NxtIterator;
  close(): Promise<void>;
}
interface NxtIterator {
  nextv(size: number): Promise<[Buffer, Buffer][]>;
  close(): Promise<void>;
}
type NxtCtor = new (location: string, options: { keyEncoding: 'buffer'; valueEncoding: 'buffer' }) => NxtDb;

class NxtAdapter implements Adapter {
  private db: NxtDb | undefined;

  async open(dir: string): Promise<void> {
    const { RocksLevel } = require('@nxtedition/rocksdb') as { RocksLevel: NxtCtor };
    const db = new RocksLevel(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    this.db = db;
  }

  putBatch(entries: readonly (readonly [Buffer, Buffer])[]): Promise<void> {
    return this.db!.batch(entries.map(([key, value]) => ({ type: 'put' as const, key, value })));
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    try {
      return await this.db!.get(key);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'LEVEL_NOT_FOUND') return undefined;
      throw error;
    }
  }

  getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    return this.db!.getMany([...keys]);
  }

  async scan(): Promise<{ count: number; bytes: number }> {
    const it = this.db!.iterator();
    let count = 0;
    let bytes = 0;
    try {
      for (;;) {
        const rows = await it.nextv(1000);
        if (rows.length === 0) break;
        for (const [key, value] of rows) {
          count++;
          bytes += key.length + value.length;
        }
      }
    } finally {
      await it.close();
    }
    return { count, bytes };
  }

  close(): Promise<void> {
    return this.db!.close();
  }
}

/** A fresh, unopened adapter for `name`. */
export function createAdapter(name: BindingName, native: NativeOptions): Adapter {
  switch (name) {
    case 'rocksdb':
      return new LevelDownAdapter();
    case 'rocksdb-native':
      return new NativeAdapter(native);
    case '@nxtedition/rocksdb':
      return new NxtAdapter();
  }
}
