/**
 * Store micro-benchmark: `rocksdb` vs `rocksdb-native` vs `@nxtedition/rocksdb` on the operations
 * a Strom table partition does (docs/decisions/0002-table-store.md has the numbers and the choice).
 * Not part of `pnpm test`.
 *
 *   pnpm --dir bench/stores install
 *   pnpm --dir bench/stores bench                      # 1M keys, median of 3, markdown table
 *   pnpm --dir bench/stores bench --keys 100000 --runs 1 --only rocksdb-native
 *   pnpm --dir bench/stores bench --sweep              # write batch size sweep instead
 *
 * Each (binding, run) is a fresh child process on a fresh temp directory, so RSS and the page
 * cache state are per binding. Keys are JSON texts like a windowed table key,
 * `["k123456",1593561600000]` (24-26 bytes), values JSON aggregates of ~80 bytes; keys are written
 * in shuffled order (hash-partitioned keys arrive unordered), in batches of `--batch`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Adapter, BINDINGS, type BindingName, createAdapter } from './bindings.js';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '10000' },
    gets: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string', multiple: true },
    sweep: { type: 'boolean', default: false },
    'native-write-buffer-mb': { type: 'string' },
    'native-flush-on-close': { type: 'boolean', default: false },
    child: { type: 'string' },
    dir: { type: 'string' },
  },
});

const KEYS = Number(args.keys);
const BATCH = Number(args.batch);
const GETS = Number(args.gets);
const RUNS = Number(args.runs);
const MULTI_GET_SIZE = 1000;
const CONCURRENT_GETS = 1000;
const NATIVE_ITERATOR_CAPACITY = 1024;
const SWEEP_KEYS = 200_000;
const SWEEP_BATCHES = [1, 10, 100, 1000, 10_000, 100_000];
const NATIVE = {
  iteratorCapacity: NATIVE_ITERATOR_CAPACITY,
  writeBufferBytes:
    args['native-write-buffer-mb'] === undefined
      ? undefined
      : Number(args['native-write-buffer-mb']) * 2 ** 20,
  flushOnClose: args['native-flush-on-close'],
};

/** Deterministic PRNG (mulberry32) so every run and binding sees the same keys and order. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function dataset(n: number): { keys: Buffer[]; values: Buffer[] } {
  const random = prng(42);
  const keys: Buffer[] = [];
  const values: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const windowStart = 1593561600000 + (i % 24) * 3_600_000;
    keys.push(Buffer.from(JSON.stringify([`k${i}`, windowStart])));
    values.push(
      Buffer.from(
        JSON.stringify({
          count: Math.floor(random() * 10_000),
          sum: Math.round(random() * 1e6) / 100,
          max: Math.round(random() * 1e4) / 100,
          last: new Date(windowStart + Math.floor(random() * 3_600_000)).toISOString(),
        }),
      ),
    );
  }
  // Fisher-Yates shuffle of the write order
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return { keys, values };
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) total += statSync(join(dir, name)).size;
  return total;
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await fn();
  return [performance.now() - start, result];
}

async function writeAll(db: Adapter, keys: Buffer[], values: Buffer[], batch: number): Promise<void> {
  for (let i = 0; i < keys.length; i += batch) {
    const entries: [Buffer, Buffer][] = [];
    for (let j = i; j < Math.min(i + batch, keys.length); j++) entries.push([keys[j]!, values[j]!]);
    await db.putBatch(entries);
  }
}

type Metrics = Record<string, number>;

/** One measured run of one binding, in this (child) process. */
async function measure(name: BindingName, dir: string): Promise<Metrics> {
  const m: Metrics = {};
  const [loadMs, db] = await time(async () => {
    const adapter = createAdapter(name, NATIVE);
    await adapter.open(join(dir, 'warmup')); // loads the native module
    await adapter.close();
    return createAdapter(name, NATIVE);
  });
  m.loadMs = loadMs;
  const { keys, values } = dataset(KEYS);
  const path = join(dir, 'db');

  [m.openEmptyMs] = await time(() => db.open(path));
  [m.putMs] = await time(() => writeAll(db, keys, values, BATCH));
  [m.closeAfterWriteMs] = await time(() => db.close());
  [m.reopenMs] = await time(() => db.open(path));

  const random = prng(7);
  const sample = Array.from({ length: GETS }, () => keys[Math.floor(random() * KEYS)]!);
  let found = 0;
  [m.getMs] = await time(async () => {
    for (const key of sample) if ((await db.get(key)) !== undefined) found++;
  });
  if (found !== GETS) throw new Error(`${name}: ${found}/${GETS} gets found`);
  [m.getConcurrentMs] = await time(async () => {
    for (let i = 0; i < GETS; i += CONCURRENT_GETS) {
      await Promise.all(sample.slice(i, i + CONCURRENT_GETS).map((key) => db.get(key)));
    }
  });
  [m.getManyMs] = await time(async () => {
    for (let i = 0; i < GETS; i += MULTI_GET_SIZE) {
      const got = await db.getMany(sample.slice(i, i + MULTI_GET_SIZE));
      if (got.some((value) => value === undefined)) throw new Error(`${name}: getMany missed a key`);
    }
  });
  const [scanMs, scanned] = await time(() => db.scan());
  if (scanned.count !== KEYS) throw new Error(`${name}: scanned ${scanned.count}/${KEYS}`);
  m.scanMs = scanMs;
  if (name === 'rocksdb-native') {
    const defaults = createAdapter(name, { ...NATIVE, iteratorCapacity: 8 });
    await db.close();
    await defaults.open(path);
    [m.scanDefaultCapacityMs] = await time(() => defaults.scan());
    await defaults.close();
    await db.open(path);
  }
  [m.closeMs] = await time(() => db.close());
  m.diskMB = dirBytes(path) / 1e6;
  m.rssMB = process.memoryUsage().rss / 1e6;
  m.maxRssMB = (process.resourceUsage().maxRSS * 1024) / 1e6; // maxRSS is in KiB
  return m;
}

/** Write-batch size sweep: ms per 1000 keys written, by batch size, on a fresh database each. */
async function sweep(name: BindingName, dir: string): Promise<Metrics> {
  const m: Metrics = {};
  const { keys, values } = dataset(SWEEP_KEYS);
  for (const batch of SWEEP_BATCHES) {
    // single puts and tiny batches are slow: measure them on fewer keys
    const n = Math.min(SWEEP_KEYS, batch * 2000);
    const db = createAdapter(name, NATIVE);
    await db.open(join(dir, `sweep-${batch}`));
    const [ms] = await time(() => writeAll(db, keys.slice(0, n), values.slice(0, n), batch));
    await db.close();
    m[`batch${batch}`] = (ms / n) * 1000;
  }
  return m;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function runChild(name: BindingName): Metrics {
  const dir = mkdtempSync(join(tmpdir(), 'strom-store-bench-'));
  try {
    const self = fileURLToPath(import.meta.url);
    const childArgs = [...process.execArgv, self, '--child', name, '--dir', dir];
    childArgs.push('--keys', String(KEYS), '--batch', String(BATCH), '--gets', String(GETS));
    if (args.sweep) childArgs.push('--sweep');
    if (args['native-write-buffer-mb'] !== undefined)
      childArgs.push('--native-write-buffer-mb', args['native-write-buffer-mb']);
    if (args['native-flush-on-close']) childArgs.push('--native-flush-on-close');
    const child = spawnSync(process.execPath, childArgs, { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (child.status !== 0) throw new Error(`${name} child failed (${child.status}): ${child.stderr}`);
    const last = child.stdout.trim().split('\n').at(-1)!;
    return JSON.parse(last) as Metrics;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (x: number | undefined, digits = 0): string => (x === undefined ? '–' : x.toFixed(digits));

function table(results: Map<BindingName, Metrics>): string {
  if (args.sweep) {
    const head = `| binding | ${SWEEP_BATCHES.map((b) => `batch ${b}`).join(' | ')} |`;
    const rule = `|---|${SWEEP_BATCHES.map(() => '---:').join('|')}|`;
    const rows = [...results].map(
      ([name, m]) => `| ${name} | ${SWEEP_BATCHES.map((b) => fmt(m[`batch${b}`], 1)).join(' | ')} |`,
    );
    return [`ms per 1000 keys written, by write-batch size (median of ${RUNS})`, head, rule, ...rows].join(
      '\n',
    );
  }
  const cols: [string, (m: Metrics) => string][] = [
    [`batch put ${KEYS / 1000}k (×${BATCH}) ms`, (m) => fmt(m.putMs)],
    ['put k keys/s', (m) => fmt(KEYS / m.putMs!, 0)],
    [`${GETS / 1000}k awaited gets ms`, (m) => fmt(m.getMs)],
    ['µs/get', (m) => fmt((m.getMs! * 1000) / GETS, 1)],
    [`${GETS / 1000}k gets, ${CONCURRENT_GETS} in flight ms`, (m) => fmt(m.getConcurrentMs)],
    [`multi-get ${GETS / 1000}k (×${MULTI_GET_SIZE}) ms`, (m) => fmt(m.getManyMs)],
    [`iterate ${KEYS / 1000}k ms`, (m) => fmt(m.scanMs)],
    ['open empty ms', (m) => fmt(m.openEmptyMs, 1)],
    [`reopen ${KEYS / 1000}k ms`, (m) => fmt(m.reopenMs, 1)],
    ['close after writes ms', (m) => fmt(m.closeAfterWriteMs, 1)],
    ['close ms', (m) => fmt(m.closeMs, 1)],
    ['load+first open ms', (m) => fmt(m.loadMs, 0)],
    ['disk MB', (m) => fmt(m.diskMB, 0)],
    ['RSS end MB', (m) => fmt(m.rssMB, 0)],
    ['max RSS MB', (m) => fmt(m.maxRssMB, 0)],
  ];
  const head = `| binding | ${cols.map(([h]) => h).join(' | ')} |`;
  const rule = `|---|${cols.map(() => '---:').join('|')}|`;
  const rows = [...results].map(([name, m]) => `| ${name} | ${cols.map(([, f]) => f(m)).join(' | ')} |`);
  const native = results.get('rocksdb-native');
  const note =
    native?.scanDefaultCapacityMs === undefined
      ? []
      : [
          '',
          `rocksdb-native iterate with its default iterator capacity (8): ${fmt(native.scanDefaultCapacityMs)} ms; the table uses capacity ${NATIVE_ITERATOR_CAPACITY}.`,
        ];
  return [...[head, rule, ...rows], ...note].join('\n');
}

async function main(): Promise<void> {
  if (args.child !== undefined) {
    const name = args.child as BindingName;
    const metrics = args.sweep ? await sweep(name, args.dir!) : await measure(name, args.dir!);
    process.stdout.write(`${JSON.stringify(metrics)}\n`);
    return;
  }
  const names = BINDINGS.filter((name) => args.only === undefined || args.only.includes(name));
  const results = new Map<BindingName, Metrics>();
  for (const name of names) {
    const runs: Metrics[] = [];
    for (let run = 1; run <= RUNS; run++) {
      process.stderr.write(`${name} run ${run}/${RUNS}...\n`);
      runs.push(runChild(name));
    }
    const merged: Metrics = {};
    for (const key of Object.keys(runs[0]!)) merged[key] = median(runs.map((r) => r[key]!));
    results.set(name, merged);
    process.stderr.write(`${name}: ${JSON.stringify(merged)}\n`);
  }
  console.log(
    `\n${KEYS} keys, node ${process.version}, ${process.platform}-${process.arch}, median of ${RUNS}\n`,
  );
  console.log(table(results));
}

await main();
