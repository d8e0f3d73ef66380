/**
 * What the recovery scenario's programs share with each other and with the harness
 * (bench/scenarios/recovery.ts; bench/faust/recovery_app.py does the same in Python).
 *
 * The table is `counts` (string keys, number values, default 0); its changelog
 * `<group>-counts-changelog` (4 partitions, JSON keys and values, as Strom and Faust write
 * them) is written by the harness before the program starts. The program reads the probe topic
 * (BENCH_PROBE, one record per partition, key the JSON text of a table key) and looks each
 * probe's key up in the table. It reports on stdout:
 *
 *   {"assigned": ms}     it has its partitions and starts restoring (Strom: read from its log)
 *   {"first": ms}        the first probe processed
 *   {"probe<p>": value}  the value the probe of partition p found for its key
 *   {"restored": ms}     a probe of every partition processed: the whole table is restored
 *   {"tableKeys", "tableSum", "tableHash", "recordsRead"}   after "restored": the digest of the
 *                        table it holds, and the changelog records it read to restore it
 */
import { crc32 } from 'node:zlib';
import { report } from './protocol.js';

export const TABLE = 'counts';
export const PARTITIONS = 4;

/** `BENCH_STORE`: the store of the table (`memory` or `rocksdb`), `BENCH_STATEDIR`: RocksDB's directory. */
export function storeConfig(): { store: 'memory' | 'rocksdb'; stateDir: string } {
  const store = process.env.BENCH_STORE === 'rocksdb' ? 'rocksdb' : 'memory';
  return { store, stateDir: process.env.BENCH_STATEDIR ?? '.strom-data' };
}

export interface DigestFields {
  keys: number;
  sum: number;
  hash: number;
}

/**
 * Order-independent digest of a table: the number of keys, the sum of the (number) values and
 * the sum, modulo 2^32, of the CRC-32 of `key TAB JSON(value)` of every entry.
 */
export class TableDigest {
  keys = 0;
  sum = 0;
  hash = 0;

  add(key: string, value: unknown): void {
    this.keys += 1;
    if (typeof value === 'number') this.sum += value;
    this.hash = (this.hash + crc32(`${key}\t${JSON.stringify(value)}`)) % 2 ** 32;
  }

  toJSON(): DigestFields {
    return { keys: this.keys, sum: this.sum, hash: this.hash };
  }

  /** Reports the digest and the changelog records read (after `restored`). */
  report(recordsRead: number): void {
    report({ tableKeys: this.keys, tableSum: this.sum, tableHash: this.hash, recordsRead });
  }
}

export function sameDigest(a: DigestFields, b: DigestFields): boolean {
  return a.keys === b.keys && a.sum === b.sum && a.hash === b.hash;
}

/** Reports the probes as they are processed, and `restored` once every partition had one. */
export class Probes {
  private readonly partitions = new Set<number>();

  /** True for the probe that completes the set (report the table's digest then). */
  processed(partition: number, value: unknown): boolean {
    const now = Date.now();
    if (this.partitions.size === 0) report({ first: now });
    report({ [`probe${partition}`]: typeof value === 'number' ? value : String(value) });
    if (this.partitions.has(partition)) return false;
    this.partitions.add(partition);
    if (this.partitions.size < PARTITIONS) return false;
    report({ restored: now });
    return true;
  }
}
