import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { damageState, garbageInTheMiddle, STATE_DAMAGES } from '../../../../test/support/damage-state.js';
import { isStromError } from '../errors/errors.js';
import { type StoreDamage, StoreDamagedError } from './rocksdb-damage.js';
import { CHECKPOINT_KEY, RocksDbStore, StoreLockedError } from './rocksdb-store.js';
import type { PartitionStore } from './types.js';

let dir: string;
const toClose: PartitionStore[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strom-rocksdb-test-'));
});

afterEach(async () => {
  for (const part of toClose.splice(0)) await part.close();
  await rm(dir, { recursive: true, force: true });
});

async function openTracked(store: RocksDbStore, table: string, partition: number): Promise<PartitionStore> {
  const part = await store.open(table, partition);
  toClose.push(part);
  return part;
}

async function collect(part: PartitionStore): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const [key, value] of part.entries()) out.push([key, value.toString()]);
  return out;
}

const put = (key: string, value: string) => ({ key, value: Buffer.from(value) });

describe('RocksDbStore', () => {
  it('is a persistent store of kind rocksdb, one database directory per table partition', async () => {
    const store = new RocksDbStore({ dir });
    expect(store.kind).toBe('rocksdb');
    expect(store.persistent).toBe(true);
    await openTracked(store, 'counts', 3);
    expect(existsSync(join(dir, 'counts-3', 'CURRENT'))).toBe(true);
  });

  it('writes, gets and deletes', async () => {
    const part = await openTracked(new RocksDbStore({ dir }), 't', 0);
    expect(await part.get('"a"')).toBeUndefined();
    await part.write([put('"a"', '1'), put('"b"', '2'), put('"a"', '3')], undefined);
    expect((await part.get('"a"'))?.toString()).toBe('3'); // last write of a key in one batch wins
    expect((await part.get('"b"'))?.toString()).toBe('2');
    await part.write([{ key: '"a"', value: null }], undefined);
    expect(await part.get('"a"')).toBeUndefined();
    await part.write([{ key: '"nothing-here"', value: null }], undefined); // deleting a missing key is fine
    await part.write([], undefined);
    expect(await part.checkpoint()).toBeUndefined();
  });

  it('keeps data and checkpoint across close and reopen', async () => {
    const store = new RocksDbStore({ dir });
    const first = await store.open('t', 0);
    await first.write([put('"k"', '{"n":1}')], '17');
    await first.write([], '18'); // a checkpoint alone (nothing dirty) also moves
    expect(await first.checkpoint()).toBe('18');
    await first.close();
    await first.close(); // idempotent

    const again = await openTracked(new RocksDbStore({ dir }), 't', 0);
    expect(await again.checkpoint()).toBe('18');
    expect((await again.get('"k"'))?.toString()).toBe('{"n":1}');
  });

  it('yields entries in key order and hides the checkpoint key', async () => {
    const part = await openTracked(new RocksDbStore({ dir }), 't', 0);
    const keys = [
      '"b"',
      '["k2",1593561600000]',
      '"a"',
      '{"x":1}',
      '-5',
      '12',
      '["k10",1593561600000]',
      '"é"',
    ];
    await part.write(
      keys.map((key) => put(key, `v${key}`)),
      '99',
    );
    const entries = await collect(part);
    const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(entries.map(([key]) => key)).toEqual(expected);
    expect(entries.map(([key]) => key)).not.toContain(CHECKPOINT_KEY);
    expect(entries.find(([key]) => key === '"é"')?.[1]).toBe('v"é"');
    expect(await part.checkpoint()).toBe('99');
  });

  it('refuses table keys in the reserved NUL-prefixed space', async () => {
    const part = await openTracked(new RocksDbStore({ dir }), 't', 0);
    await expect(part.write([put(CHECKPOINT_KEY, '0')], undefined)).rejects.toThrow(/reserves/);
    await expect(part.get(CHECKPOINT_KEY)).rejects.toThrow(/reserves/);
    expect(await part.checkpoint()).toBeUndefined();
  });

  it('keeps two partitions (and two tables) independent', async () => {
    const store = new RocksDbStore({ dir });
    const p0 = await openTracked(store, 't', 0);
    const p1 = await openTracked(store, 't', 1);
    const other = await openTracked(store, 'u', 0);
    await p0.write([put('"x"', 'zero')], '5');
    await p1.write([put('"x"', 'one'), put('"y"', 'only-one')], '7');
    expect((await p0.get('"x"'))?.toString()).toBe('zero');
    expect((await p1.get('"x"'))?.toString()).toBe('one');
    expect(await p0.get('"y"')).toBeUndefined();
    expect(await p0.checkpoint()).toBe('5');
    expect(await p1.checkpoint()).toBe('7');
    expect(await collect(other)).toEqual([]);
    expect(await other.checkpoint()).toBeUndefined();
  });

  it('drop closes an open partition and deletes its directory', async () => {
    const store = new RocksDbStore({ dir });
    const part = await store.open('t', 2);
    await part.write([put('"a"', '1')], '3');
    await store.drop('t', 2);
    expect(existsSync(join(dir, 't-2'))).toBe(false);
    await expect(part.get('"a"')).rejects.toThrow();
    await store.drop('t', 2); // nothing left to drop
    await store.drop('never-opened', 0);

    const fresh = await openTracked(store, 't', 2);
    expect(await fresh.checkpoint()).toBeUndefined();
    expect(await collect(fresh)).toEqual([]);
  });

  it('drop refuses a database that another store holds open', async () => {
    const holder = await openTracked(new RocksDbStore({ dir }), 't', 0);
    await holder.write([put('"a"', '1')], undefined);
    const error = await new RocksDbStore({ dir }).drop('t', 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreLockedError);
    expect((await holder.get('"a"'))?.toString()).toBe('1');
  });

  it('reopening a partition whose close is still running waits for the close', async () => {
    const store = new RocksDbStore({ dir, lockRetries: 0 });
    const part = await store.open('t', 0);
    await part.write([put('"a"', '1')], '1');
    void part.close(); // a revoke that did not wait
    const again = await openTracked(store, 't', 0);
    expect(await again.checkpoint()).toBe('1');
  });

  it('retries while the database is locked in this process, then gives up with a clear error', async () => {
    const store = new RocksDbStore({ dir, lockRetries: 50, lockRetryDelayMs: 10 });
    const first = await store.open('t', 0);
    setTimeout(() => void first.close(), 100);
    const second = await openTracked(store, 't', 0); // succeeds once the first is closed

    const impatient = new RocksDbStore({ dir, lockRetries: 2, lockRetryDelayMs: 10 });
    const error = await impatient.open('t', 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreLockedError);
    expect(isStromError(error) && error.code).toBe('STORE');
    expect((error as StoreLockedError).message).toMatch(/t-0 is still locked after \d+ ms/);
    expect((error as StoreLockedError).partition).toBe(0);
    await second.write([put('"ok"', '1')], undefined); // the holder is unaffected
  });

  describe('damaged databases', () => {
    let reports: StoreDamage[];
    const damagedStore = (options: { lockRetries?: number } = {}) =>
      new RocksDbStore({
        dir,
        lockRetryDelayMs: 10,
        // small memtables: the data reaches table (.sst) files
        writeBufferBytes: 64 * 1024,
        onDamaged: (damage) => reports.push(damage),
        ...options,
      });

    beforeEach(() => {
      reports = [];
    });

    /** Partition t-0 with 4,000 keys in table files and the write-ahead log, checkpoint '4000'; closed. */
    async function databaseWithData(): Promise<string> {
      const store = damagedStore();
      const part = await store.open('t', 0);
      for (let round = 1; round <= 4; round++) {
        const writes = Array.from({ length: 1000 }, (_, i) =>
          put(`"k${round}-${i}"`, `${i}`.padEnd(100, '.')),
        );
        await part.write(writes, String(round * 1000));
      }
      await part.close();
      // a reopen writes the write-ahead log out into a table file
      await (await store.open('t', 0)).close();
      const path = store.pathOf('t', 0);
      expect((await readdir(path)).some((name) => name.endsWith('.sst'))).toBe(true);
      return path;
    }

    async function expectMovedAsideOnce(path: string): Promise<StoreDamage> {
      expect(reports).toHaveLength(1);
      const [report] = reports;
      expect(report).toMatchObject({ table: 't', partition: 0, path });
      expect(report!.cause.length).toBeGreaterThan(0);
      expect(basename(report!.movedTo)).toMatch(/^t-0\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z$/);
      expect(await readdir(dir)).toContain(basename(report!.movedTo));
      expect((await readdir(report!.movedTo)).length).toBeGreaterThan(0); // the damaged files are kept
      return report!;
    }

    const damagesAtOpen = STATE_DAMAGES.filter((damage) => damage !== 'deleted directory');
    it.each(damagesAtOpen)('%s: moved aside, reported once, reopened empty', async (damage) => {
      const path = await databaseWithData();
      await damageState(path, damage);

      const store = damagedStore();
      const part = await openTracked(store, 't', 0);
      expect(await part.checkpoint()).toBeUndefined(); // so recovery reads the changelog from its start
      expect(await collect(part)).toEqual([]);
      await expectMovedAsideOnce(path);

      await part.write([put('"rebuilt"', '1')], '7');
      await part.close();
      const again = await openTracked(store, 't', 0);
      expect(await again.checkpoint()).toBe('7');
      expect(reports).toHaveLength(1); // the fresh database is not damaged
    });

    it('deleted directory: reopened empty, nothing to move aside or report', async () => {
      const path = await databaseWithData();
      await damageState(path, 'deleted directory');

      const part = await openTracked(damagedStore(), 't', 0);
      expect(await part.checkpoint()).toBeUndefined();
      expect(await collect(part)).toEqual([]);
      expect(reports).toEqual([]);
      expect(await readdir(dir)).toEqual(['t-0']);
    });

    it('a bad block found by a read: StoreDamagedError, and the next open moves the database aside', async () => {
      const path = await databaseWithData();
      await garbageInTheMiddle(path, '.sst');

      const store = damagedStore();
      const part = await store.open('t', 0);
      expect(await part.checkpoint()).toBe('4000'); // RocksDB opens it: the damage is further in
      expect(reports).toEqual([]);
      const error = await collect(part).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreDamagedError);
      expect(isStromError(error) && error.code).toBe('STORE');
      expect((error as StoreDamagedError).message).toMatch(
        /^table "t" partition 0: the RocksDB database .*t-0 is damaged \(.*checksum mismatch.*\); restart the worker/,
      );
      await part.close();

      const reopened = await openTracked(store, 't', 0);
      expect(await reopened.checkpoint()).toBeUndefined();
      const report = await expectMovedAsideOnce(path);
      expect(report.cause).toMatch(/checksum mismatch/);
    });

    it('garbage in the write-ahead log: RocksDB keeps the writes before it, each with its checkpoint; nothing moved', async () => {
      const store = new RocksDbStore({ dir, onDamaged: (damage) => reports.push(damage) });
      const part = await store.open('t', 0);
      for (let round = 1; round <= 20; round++) {
        const writes = Array.from({ length: 100 }, (_, i) => put(`"k${i}"`, String(round).padEnd(100)));
        await part.write(writes, String(round));
      }
      await part.close();
      await garbageInTheMiddle(store.pathOf('t', 0), '.log');

      const reopened = await openTracked(store, 't', 0);
      const checkpoint = await reopened.checkpoint();
      expect(Number(checkpoint)).toBeGreaterThan(0);
      expect(Number(checkpoint)).toBeLessThan(20);
      // every key holds the value of the checkpoint's round: recovery reads the changelog from there
      const values = new Set((await collect(reopened)).map(([, value]) => value.trim()));
      expect(values).toEqual(new Set([checkpoint]));
      expect(reports).toEqual([]);
    });

    it('a database locked by another open handle stays StoreLockedError, even with CURRENT gone', async () => {
      const path = await databaseWithData();
      const holder = await openTracked(new RocksDbStore({ dir }), 't', 0);
      await damageState(path, 'deleted CURRENT');

      const error = await damagedStore({ lockRetries: 1 })
        .open('t', 0)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreLockedError);
      expect(reports).toEqual([]);
      expect(await readdir(dir)).toEqual(['t-0']);
      expect(await holder.checkpoint()).toBe('4000'); // the holder's files are untouched
    });
  });

  describe('with another process', () => {
    const moduleUrl = new URL('./rocksdb-store.ts', import.meta.url).href;
    let child: ChildProcess | undefined;

    afterEach(() => {
      child?.kill('SIGKILL');
      child = undefined;
    });

    /**
     * Runs `body` in a child node process (with tsx, to load this TS module), which prints
     * `ready` after `readyAfter` rounds and then keeps going until killed.
     */
    async function startChild(body: string): Promise<ChildProcess> {
      const script = join(dir, 'child.mts');
      await writeFile(
        script,
        `import { RocksDbStore } from ${JSON.stringify(moduleUrl)};\nconst dir = ${JSON.stringify(dir)};\n${body}`,
      );
      const proc = spawn(process.execPath, ['--import', 'tsx', script], {
        cwd: fileURLToPath(new URL('../../../..', import.meta.url)),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve, reject) => {
        proc.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
        proc.stdout!.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('ready')) resolve();
        });
      });
      return proc;
    }

    const exited = (proc: ChildProcess) => new Promise((resolve) => proc.once('exit', resolve));

    /** A child that writes a key and checkpoint '4' to t-0 and keeps the database open. */
    const HOLD_PARTITION = `
const part = await new RocksDbStore({ dir }).open('t', 0);
await part.write([{ key: '"from-child"', value: Buffer.from('1') }], '4');
console.log('ready');
setInterval(() => {}, 1000);`;

    it('data and checkpoint survive a kill -9 together: the checkpoint matches the data exactly', async () => {
      // Round r writes 200 keys ["r<r>",i] and checkpoint r+1 in one batch, and deletes round r-1's keys.
      child = await startChild(`
const part = await new RocksDbStore({ dir }).open('t', 0);
for (let r = 0; ; r++) {
  const writes = [];
  for (let i = 0; i < 200; i++) writes.push({ key: JSON.stringify(['r' + r, i]), value: Buffer.from(String(r)) });
  for (let i = 0; r > 0 && i < 200; i++) writes.push({ key: JSON.stringify(['r' + (r - 1), i]), value: null });
  await part.write(writes, String(r + 1));
  if (r === 20) console.log('ready');
}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
      child.kill('SIGKILL');
      await exited(child);

      const part = await openTracked(new RocksDbStore({ dir }), 't', 0);
      const checkpoint = Number(await part.checkpoint());
      expect(checkpoint).toBeGreaterThan(20);
      const entries = await collect(part);
      // exactly the last round's 200 keys: no half-applied batch, no round ahead of the checkpoint
      expect(entries).toHaveLength(200);
      expect(new Set(entries.map(([key]) => (JSON.parse(key) as [string, number])[0]))).toEqual(
        new Set([`r${checkpoint - 1}`]),
      );
    });

    it('waits for a dying process to release the lock', async () => {
      child = await startChild(HOLD_PARTITION);

      const impatient = new RocksDbStore({ dir, lockRetries: 1, lockRetryDelayMs: 10 });
      const error = await impatient.open('t', 0).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreLockedError);
      expect(String((error as Error).cause)).toMatch(/LOCK/);

      const patient = new RocksDbStore({ dir, lockRetries: 100, lockRetryDelayMs: 20 });
      const opening = patient.open('t', 0);
      setTimeout(() => child?.kill('SIGKILL'), 200);
      const part = await opening;
      toClose.push(part);
      expect(await part.checkpoint()).toBe('4');
      expect((await part.get('"from-child"'))?.toString()).toBe('1');
    });

    it('never moves aside a database another process holds, even when its files look damaged', async () => {
      child = await startChild(HOLD_PARTITION);
      await damageState(join(dir, 't-0'), 'deleted CURRENT');

      const reports: StoreDamage[] = [];
      const store = new RocksDbStore({
        dir,
        lockRetries: 1,
        lockRetryDelayMs: 10,
        onDamaged: (d) => reports.push(d),
      });
      const error = await store.open('t', 0).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreLockedError);
      expect(reports).toEqual([]);
      expect((await readdir(dir)).filter((name) => name.startsWith('t-0'))).toEqual(['t-0']);
    });
  });
});
