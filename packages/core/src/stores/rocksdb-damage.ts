import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StromError } from '../errors/errors.js';

/*
 * Telling a damaged partition database from a busy or unreachable one. A damaged database is
 * moved aside and rebuilt from the changelog; a locked one must never be: another process is
 * using it. RocksDB takes the LOCK file before it reads CURRENT, MANIFEST or any table file, so
 * an open that fails for another reason than the lock had the lock: nobody else uses the files.
 */

/** What a store reports when it moved a damaged partition database aside. */
export interface StoreDamage {
  table: string;
  partition: number;
  /** The partition's database directory, empty again after the move. */
  path: string;
  /** Where the damaged files are now: `<path>.corrupt-<ISO time>`. */
  movedTo: string;
  /** RocksDB's message, or what a read of the database found earlier. */
  cause: string;
}

/** RocksDB reports a held LOCK file as an IO error naming it (another process: EAGAIN; this process: ENOLCK). */
export function isLockError(error: unknown): boolean {
  return /\/LOCK: |lock hold by current process/.test(messageOf(error));
}

/** Failures of the machine, not of the files: a fresh database would fail the same way (and a full disk would fill up with copies). */
const ENVIRONMENT =
  /No space left|Permission denied|Operation not permitted|Read-only file system|Too many open files|Cannot allocate memory/i;

/**
 * How RocksDB, through rocksdb-native, describes files it cannot use. The binding keeps only the
 * text of RocksDB's status (mostly without its `Corruption: ` prefix) and gives nearly every
 * error the code EIO, so the text is all there is. Messages seen, per damage:
 * - garbage in a table file: `Bad table magic number: expected ..., found ... in .../000009.sst
 *   The file .../MANIFEST-000005 may be corrupted.`; in one block: `block checksum mismatch: ...`
 * - a table file cut short or deleted: `Sst file size mismatch ...`, `Corruption: IO error: No
 *   such file or directory: While open a file for random read: .../000009.sst ...`
 * - garbage in or a truncated MANIFEST: `no log_file_number, next_file_number, last_sequence
 *   entry in MANIFEST ...`; MANIFEST deleted: `While opening a file for sequentially reading:
 *   .../MANIFEST-000005: No such file or directory`
 * - CURRENT truncated or garbage: `CURRENT file does not end with newline`; deleted (opened
 *   without createIfMissing): `.../CURRENT: does not exist (create_if_missing is false)`
 */
const DAMAGE = [
  /corrupt/i,
  /checksum mismatch/i,
  /magic number/i,
  /file size mismatch/i,
  /CURRENT file/,
  /in MANIFEST/,
  /No such file or directory/,
  /: does not exist/,
  /contains existing log file/,
  /truncated|too short/i,
];

/** The cause to report when `error` says the database files are damaged; undefined for any other error. */
export function damageCause(error: unknown): string | undefined {
  const message = messageOf(error);
  if (isLockError(error) || ENVIRONMENT.test(message)) return undefined;
  return DAMAGE.some((pattern) => pattern.test(message)) ? message : undefined;
}

/**
 * A file in a partition database saying that a read found it damaged, so that the next open
 * moves it aside even though RocksDB opens it (a bad block shows only when read). RocksDB leaves
 * files it did not name alone.
 */
const DAMAGE_MARK = 'STROM-DAMAGED';

/** Best effort: if the mark cannot be written (the directory is gone), the next open sees the damage itself or finds nothing to keep. */
export async function markDamaged(path: string, cause: string): Promise<void> {
  await writeFile(join(path, DAMAGE_MARK), `${cause}\n`, { flag: 'wx' }).catch(() => undefined);
}

/** The cause a read wrote in the database's damage mark, if there is one. */
export async function damageMark(path: string): Promise<string | undefined> {
  try {
    return (await readFile(join(path, DAMAGE_MARK), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/**
 * True when `path` holds files: then RocksDB must find a database there (`createIfMissing:
 * false`), instead of quietly creating a new one over files whose CURRENT was lost.
 */
export async function hasFiles(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length > 0;
  } catch {
    return false;
  }
}

/** Renames a damaged database directory to `<path>.corrupt-<ISO time>` (no `:`, which Windows refuses); returns the new path. */
export async function moveAside(path: string, now = new Date()): Promise<string> {
  const stamp = now.toISOString().replaceAll(':', '-');
  for (let n = 0; ; n++) {
    const target = `${path}.corrupt-${stamp}${n === 0 ? '' : `-${n}`}`;
    try {
      await rename(path, target);
      return target;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (n < 100 && (code === 'ENOTEMPTY' || code === 'EEXIST')) continue; // moved aside twice in one ms
      throw error;
    }
  }
}

/**
 * A read or write found a partition database damaged while the worker ran. The database is
 * marked, so the next open moves it aside and the partition is rebuilt from the changelog; the
 * worker stops, as the events of the partition cannot be applied meanwhile.
 */
export class StoreDamagedError extends StromError {
  readonly path: string;
  readonly table: string;

  constructor(table: string, partition: number, path: string, cause: unknown) {
    super(
      'STORE',
      `table "${table}" partition ${partition}: the RocksDB database ${path} is damaged (${firstLine(messageOf(cause))}); ` +
        'restart the worker: it moves the database aside and rebuilds the partition from the changelog',
      { partition, cause },
    );
    this.name = 'StoreDamagedError';
    this.path = path;
    this.table = table;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim();
}
