/**
 * Damage to a RocksDB partition database directory, as a disk, a careless operator or a crash
 * leaves it, for the store's unit tests and the fault suite. Each damage checks that it found
 * what it damages (a test of `.sst` garbage on a database without table files proves nothing).
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type StateDamage =
  | 'deleted CURRENT'
  | 'garbage in an .sst'
  | 'garbage in MANIFEST'
  | 'every file truncated to 0 bytes'
  | 'deleted directory';

/** The damages a worker must rebuild from at open. */
export const STATE_DAMAGES: readonly StateDamage[] = [
  'deleted CURRENT',
  'garbage in an .sst',
  'garbage in MANIFEST',
  'every file truncated to 0 bytes',
  'deleted directory',
];

/** The files of `dir` whose names pass `select`; throws when there is none. */
async function filesOf(dir: string, select: (name: string) => boolean, what: string): Promise<string[]> {
  const names = (await readdir(dir)).filter(select);
  if (names.length === 0) throw new Error(`no ${what} in ${dir}: nothing to damage`);
  return names.map((name) => join(dir, name));
}

/** Overwrites each file with random bytes of the same size. */
async function fillWithGarbage(files: readonly string[]): Promise<void> {
  for (const file of files) await writeFile(file, randomBytes(Math.max(1, (await stat(file)).size)));
}

/** Damages the database in `dir` (which must not be open). */
export async function damageState(dir: string, damage: StateDamage): Promise<void> {
  switch (damage) {
    case 'deleted CURRENT':
      await rm(join(dir, 'CURRENT'));
      return;
    case 'garbage in an .sst':
      return fillWithGarbage(await filesOf(dir, (n) => n.endsWith('.sst'), '.sst file'));
    case 'garbage in MANIFEST':
      return fillWithGarbage(await filesOf(dir, (n) => n.startsWith('MANIFEST-'), 'MANIFEST'));
    case 'every file truncated to 0 bytes':
      for (const file of await filesOf(dir, () => true, 'file')) await truncate(file, 0);
      return;
    case 'deleted directory':
      await rm(dir, { recursive: true });
      return;
  }
}

/**
 * Overwrites 64 bytes in the middle of the largest `.sst` or `.log` file. In a table file RocksDB
 * still opens the database (its footer, index and first block are intact) and a read of the
 * block there fails its checksum; in the write-ahead log, replay stops at the damaged record.
 */
export async function garbageInTheMiddle(dir: string, suffix: '.sst' | '.log'): Promise<void> {
  const files = await filesOf(dir, (n) => n.endsWith(suffix), `${suffix} file`);
  const sizes = await Promise.all(files.map(async (file) => ({ file, size: (await stat(file)).size })));
  const largest = sizes.reduce((a, b) => (b.size > a.size ? b : a));
  const handle = await open(largest.file, 'r+');
  try {
    await handle.write(randomBytes(64), 0, 64, Math.floor(largest.size / 2));
  } finally {
    await handle.close();
  }
}
