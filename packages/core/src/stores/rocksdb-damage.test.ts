import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { damageCause, isLockError, moveAside } from './rocksdb-damage.js';

/** Messages rocksdb-native gave for each damage (paths shortened). */
const DAMAGED = [
  'Bad table magic number: expected 9863518390377041911, found 6510615555426900570 in /s/t-0/000009.sst  The file /s/t-0/MANIFEST-000005 may be corrupted.',
  'block checksum mismatch: stored(context removed) = 3641805668, computed = 2854079223, type = 4  in /s/t-0/000009.sst offset 0 size 8164',
  'Sst file size mismatch between expected 4172827 and file system 0 sstable: /s/t-0/000009.sst  The file /s/t-0/MANIFEST-000005 may be corrupted.',
  'Corruption: IO error: No such file or directory: While open a file for random read: /s/t-0/000009.sst: No such file or directory  The file /s/t-0/MANIFEST-000005 may be corrupted.',
  'no log_file_number, next_file_number, last_sequence entry in MANIFEST  The file /s/t-0/MANIFEST-000005 may be corrupted.',
  'While opening a file for sequentially reading: /s/t-0/MANIFEST-000005: No such file or directory',
  'CURRENT file does not end with newline',
  '/s/t-0/CURRENT: does not exist (create_if_missing is false)',
  'While creating a new Db, wal_dir contains existing log file: : 000008.log',
];

const LOCKED = [
  'While lock file: /s/t-0/LOCK: Resource temporarily unavailable',
  'lock hold by current process, acquire time 1796410872 acquiring thread 5904: /s/t-0/LOCK: No locks available',
];

/** Failures of the machine: a fresh database would not help. */
const NOT_DAMAGE = [
  'While appending to file: /s/t-0/000012.log: No space left on device',
  'While open a file for appending: /s/t-0/000012.log: Permission denied',
  'While open a file for random read: /s/t-0/000009.sst: Too many open files',
  'RocksDB session is closed',
];

describe('damageCause', () => {
  it.each(DAMAGED)('calls it damage: %s', (message) => {
    expect(damageCause(new Error(message))).toBe(message);
  });

  it.each(LOCKED)('never calls a held lock damage: %s', (message) => {
    expect(isLockError(new Error(message))).toBe(true);
    expect(damageCause(new Error(message))).toBeUndefined();
  });

  it.each(NOT_DAMAGE)('leaves other errors alone: %s', (message) => {
    expect(damageCause(new Error(message))).toBeUndefined();
  });
});

describe('moveAside', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strom-move-aside-test-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('renames to <path>.corrupt-<ISO time without colons>, twice in one millisecond too', async () => {
    const at = new Date('2026-05-09T07:33:22.186Z');
    const path = join(dir, 't-0');
    await mkdir(path);
    await writeFile(join(path, 'CURRENT'), 'first');
    const first = await moveAside(path, at);
    expect(basename(first)).toBe('t-0.corrupt-2026-05-09T07-33-22.186Z');
    await mkdir(path);
    await writeFile(join(path, 'CURRENT'), 'second');
    const second = await moveAside(path, at);
    expect(basename(second)).toBe('t-0.corrupt-2026-05-09T07-33-22.186Z-1');
    expect((await readdir(dir)).sort()).toEqual([basename(first), basename(second)]);
    expect(await readdir(first)).toEqual(['CURRENT']);
  });
});
