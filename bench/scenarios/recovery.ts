/**
 * Scenario 4, recovery: how fast a worker rebuilds a table from its changelog, and how soon a
 * worker with a RocksDB checkpoint processes its first event after a restart.
 *
 * The changelog is synthetic, the same for every system and run: record n (0 <= n < events) has
 * key `"k<n mod K>"` and value floor(n / K) + 1, K = events / 10 keys (100,000 for 1M records),
 * so every key is updated 10 times, like a counter; key k goes to partition k mod 4. Keys and
 * values are JSON, as Strom and Faust write a table's changelog. The harness writes it to
 * `<group>-counts-changelog` (4 partitions, `cleanup.policy=compact` as the systems create it,
 * and `min.compaction.lag.ms` of 7 days, so the log cleaner compacts none of it during a run:
 * every system reads all `events` records) before it starts the system; not timed.
 *
 * A run of one system, one app id (= consumer group) for all its phases:
 *
 * 1. restore (every system; Strom and Faust with their memory store): the harness writes one
 *    probe record per partition to a fresh probe topic, with a key of the table whose value it
 *    knows, then starts the program. Timed: from the moment the system has its partitions and
 *    starts restoring ("assigned") to the moment it has processed a probe of every partition
 *    (it cannot before the partition's table is restored). events/s = changelog records / that.
 *    Then the program reports the digest of its table and the changelog records it read; the
 *    run counts only if the probes found the right values, the digest equals the truth and
 *    the system read every record.
 * 2. restore into RocksDB (Strom, Faust): the same with `store: 'rocksdb'` and a fresh state
 *    directory, then SIGTERM (a clean stop writes the checkpoint).
 * 3. restart with the RocksDB checkpoint: a fresh probe topic with one probe per partition, the
 *    program started again on the same state directory; timed from the process start (spawn)
 *    to the first probe processed, and to a probe of every partition processed; the program
 *    reports how many changelog records it read (a full checkpoint: 0), and its table is checked.
 *
 * kafkajs has no store: phases 2 and 3 do not apply to it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import { type BenchAdmin, connectProducer, produceAll, uniqueName } from '../lib/broker.js';
import { type CpuSnapshot, coresBetween } from '../lib/cpu.js';
import { SystemProcess } from '../lib/processes.js';
import { max, median, min } from '../lib/stats.js';
import type { SystemName } from '../lib/systems.js';
import { type DigestFields, PARTITIONS, sameDigest, TABLE, TableDigest } from '../systems/recovery-table.js';
import { failed } from './common.js';
import type { ImplementedScenario, RunContext, RunResult } from './types.js';

const NAME = 'recovery';
/** Updates per key: keys = records / this. */
const UPDATES_PER_KEY = 10;
const CHANGELOG_CONFIG = {
  'cleanup.policy': 'compact',
  'min.compaction.lag.ms': String(7 * 24 * 3600 * 1000),
};
/** Systems with a RocksDB store (phases 2 and 3). */
const WITH_STORE: readonly SystemName[] = ['strom', 'faust'];

/** The synthetic changelog of `records` records over `keys` keys (see the file's comment). */
function* changelogRecords(records: number, keys: number): Generator<Message> {
  for (let n = 0; n < records; n++) {
    const k = n % keys;
    yield {
      key: JSON.stringify(`k${k}`),
      value: String(Math.floor(n / keys) + 1),
      partition: k % PARTITIONS,
    };
  }
}

/** The table the changelog describes: key `k<k>` -> the number of records of key k. */
function finalValue(records: number, keys: number, k: number): number {
  return Math.floor((records - 1 - k) / keys) + 1;
}

/** What one start of a program did, as it reported it. */
interface Phase {
  proc: SystemProcess;
  /** Ms since the epoch: restore started (partitions assigned), first probe, every partition's probe. */
  assigned: number;
  first: number;
  restored: number;
  recordsRead: number;
  rssMb: number;
  cpu: Record<string, number>;
  exitCode: number | null;
}

type PhaseOutcome = { ok: true; phase: Phase } | { ok: false; problem: string; rssMb?: number };

const secs = (ms: number) => Number((ms / 1000).toFixed(3));

export class RecoveryScenario implements ImplementedScenario {
  readonly name = NAME;
  readonly implemented = true;
  readonly title = 'Recovery: rebuild a table from its changelog; restart with a RocksDB checkpoint';
  readonly work =
    'Restore a table (`counts`, default 0) from a changelog of `events` records written beforehand (JSON keys and ' +
    'values, 10 updates per key, 4 partitions, not compacted during the run), with the memory store; a probe ' +
    'record per partition, sent before the start, is processed only once its partition is restored. Timed: ' +
    'from the partitions assigned (the restore starts) to a probe of every partition processed; events/s = ' +
    'changelog records / that time. Checked: the values the probes read, a digest of the whole table, and that ' +
    'every changelog record was read. Then, Strom and Faust only: the same restore into RocksDB, a clean stop, ' +
    'and a restart on the checkpoint, timed from the process start to its first event (table below).';
  private rides = 0;

  observe(): void {
    this.rides += 1;
  }

  inputFacts(): Record<string, string | number> {
    const keys = keyCount(this.rides);
    return {
      changelog: `${this.rides.toLocaleString('en-US')} records over ${keys.toLocaleString('en-US')} keys (${UPDATES_PER_KEY} updates per key, key \`"k<n>"\`, value the count), 4 partitions; written before each run (not counted)`,
      'ride input': 'not read by this scenario (the harness produces it for every scenario)',
    };
  }

  async runOnce(context: RunContext): Promise<RunResult> {
    const { admin, system } = context;
    const group = uniqueName(`strom-bench-${NAME}-${system}`);
    admin.pending.add(group);
    const stateDir = mkdtempSync(join(tmpdir(), 'strom-bench-recovery-'));
    const procs: SystemProcess[] = [];
    try {
      return await this.measure(context, group, stateDir, procs);
    } finally {
      for (const proc of procs) await proc.stop();
      await admin.deleteTopics([], [group]);
      await deleteGroups(admin, group);
      rmSync(stateDir, { recursive: true, force: true });
    }
  }

  private async measure(
    context: RunContext,
    group: string,
    stateDir: string,
    procs: SystemProcess[],
  ): Promise<RunResult> {
    const { admin, settings, system } = context;
    const records = settings.events;
    const keys = keyCount(records);
    const changelog = `${group}-${TABLE}-changelog`;
    const fail = (problem: string, rssMb?: number) => failed(context, NAME, problem, rssMb);

    // the changelog, before the system starts (not timed)
    await admin.createTopics([{ name: changelog, config: CHANGELOG_CONFIG }]);
    const producer = await connectProducer(context.kafka);
    try {
      // one request at a time: concurrent requests can be appended out of order when one is
      // retried, and the order of a key's updates is what the restored table must reflect
      await produceAll(producer, changelog, changelogRecords(records, keys), {
        batchSize: 10_000,
        concurrency: 1,
      });
    } finally {
      await producer.disconnect();
    }
    if ((await admin.endOffsets(changelog)).total !== records)
      return fail('the harness could not write the changelog');

    const truth = new TableDigest();
    for (let k = 0; k < Math.min(keys, records); k++) truth.add(`k${k}`, finalValue(records, keys, k));
    const run = (label: string, store: 'memory' | 'rocksdb') =>
      this.phase(context, { group, changelog, stateDir, label, store, keys, truth: truth.toJSON() }, procs);

    // 1. restore with the memory store (kafkajs: its Map)
    const memory = await run('restore', 'memory');
    if (!memory.ok) return fail(`restore: ${memory.problem}`, memory.rssMb);
    const restore = memory.phase;
    if (restore.recordsRead !== records)
      return fail(`restore: the system read ${restore.recordsRead} of ${records} changelog records`);
    const seconds = (restore.restored - restore.assigned) / 1000;
    if (!(seconds > 0))
      return fail(`restore: restored at ${restore.restored}, assigned at ${restore.assigned}`);
    const detail: Record<string, number | string> = {
      // process start -> partitions assigned: not timed
      startupSeconds: secs(restore.assigned - restore.proc.startedAt),
      // assigned -> the first probe processed (Strom restores partitions one by one, Faust all at once)
      firstProbeSeconds: secs(restore.first - restore.assigned),
      ...restore.cpu,
    };

    // 2. and 3. restore into RocksDB, stop, restart on the checkpoint
    if (WITH_STORE.includes(system)) {
      const rocks = await run('rocksdb', 'rocksdb');
      if (!rocks.ok) return fail(`restore into RocksDB: ${rocks.problem}`, restore.rssMb);
      const into = rocks.phase;
      if (into.recordsRead !== records)
        return fail(
          `restore into RocksDB: the system read ${into.recordsRead} of ${records} changelog records`,
        );
      detail.rocksdbSeconds = secs(into.restored - into.assigned);
      detail.rocksdbRecordsPerSec = Math.round(records / ((into.restored - into.assigned) / 1000));
      detail.rocksdbStopExit = String(into.exitCode);
      const again = await run('restart', 'rocksdb');
      if (!again.ok) return fail(`restart with the RocksDB checkpoint: ${again.problem}`, restore.rssMb);
      const restart = again.phase;
      detail.restartSeconds = secs(restart.first - restart.proc.startedAt);
      detail.restartAllSeconds = secs(restart.restored - restart.proc.startedAt);
      detail.restartRecordsRead = restart.recordsRead;
      detail.restartRssMb = Math.round(restart.rssMb);
    }

    const ends = await admin.endOffsets(changelog);
    if (ends.total !== records)
      return fail(
        `the changelog holds ${ends.total} records after the run, not ${records}: the system wrote it`,
      );
    return {
      scenario: NAME,
      system,
      run: context.run,
      events: records,
      seconds,
      eventsPerSec: records / seconds,
      p50Ms: Number.NaN,
      p99Ms: Number.NaN,
      rssMb: restore.rssMb,
      outputs: keys,
      ok: true,
      detail,
    };
  }

  /**
   * One start of the program: a fresh probe topic with one probe per partition, the program
   * on `store`, until it reported its table; then stopped (SIGTERM) and checked.
   */
  private async phase(
    context: RunContext,
    s: {
      group: string;
      changelog: string;
      stateDir: string;
      label: string;
      store: 'memory' | 'rocksdb';
      keys: number;
      truth: DigestFields;
    },
    procs: SystemProcess[],
  ): Promise<PhaseOutcome> {
    const { admin, settings, system } = context;
    const records = settings.events;
    const probe = `${s.group}-probe-${s.label}`;
    await admin.createTopics([{ name: probe }]);
    // probe of partition p: key k<p>, which lives in partition p (k mod 4)
    const producer = await connectProducer(context.kafka);
    try {
      await producer.send({
        topic: probe,
        acks: -1,
        messages: Array.from({ length: PARTITIONS }, (_, p) => ({
          key: JSON.stringify(`k${p}`),
          value: JSON.stringify({ probe: p }),
          partition: p,
        })),
      });
    } finally {
      await producer.disconnect();
    }
    const program = context.program({
      env: {
        BENCH_BROKER: context.brokers[0]!,
        BENCH_GROUP: s.group,
        BENCH_INPUT: probe,
        BENCH_PROBE: probe,
        BENCH_OUTPUT: s.changelog,
        BENCH_STORE: s.store,
        BENCH_STATEDIR: s.stateDir,
      },
    });
    const logFile = join(settings.logDir, `${NAME}-${system}-run${context.run}-${s.label}.log`);
    const proc = new SystemProcess(program, logFile, context.brokerPid);
    procs.push(proc);
    const atStart = proc.cpuSnapshot();
    let atRestored: CpuSnapshot | undefined;
    const deadline = Date.now() + settings.timeoutMs;
    while (proc.reported('tableHash') === undefined) {
      if (atRestored === undefined && proc.reported('restored') !== undefined)
        atRestored = proc.cpuSnapshot();
      const exit = proc.exited;
      if (exit) {
        return {
          ok: false,
          problem: `the process exited (code ${exit.code}, signal ${exit.signal}) before it reported its table; see ${logFile}`,
          rssMb: proc.peakRssMb(),
        };
      }
      if (Date.now() > deadline)
        return { ok: false, problem: `timeout: no table reported; see ${logFile}`, rssMb: proc.peakRssMb() };
      await proc.changed(500);
    }
    atRestored ??= proc.cpuSnapshot();
    const rssMb = proc.peakRssMb() ?? Number.NaN;
    await proc.stop();
    const cores = coresBetween(atStart, atRestored);

    const assigned = system === 'strom' ? stromAssignedAt(logFile) : proc.reported('assigned');
    const first = proc.reported('first');
    const restored = proc.reported('restored');
    if (assigned === undefined || first === undefined || restored === undefined)
      return { ok: false, problem: `no assigned/first/restored report; see ${logFile}`, rssMb };
    for (let p = 0; p < PARTITIONS; p++) {
      const expected = p < Math.min(s.keys, records) ? finalValue(records, s.keys, p) : 0;
      const got = proc.reported(`probe${p}`);
      if (got !== expected)
        return {
          ok: false,
          problem: `the probe of partition ${p} read k${p} = ${got}, expected ${expected}`,
          rssMb,
        };
    }
    const digest = {
      keys: proc.reported('tableKeys') ?? Number.NaN,
      sum: proc.reported('tableSum') ?? Number.NaN,
      hash: proc.reported('tableHash') ?? Number.NaN,
    };
    if (!sameDigest(digest, s.truth))
      return {
        ok: false,
        problem: `the restored table differs: ${JSON.stringify(digest)}, expected ${JSON.stringify(s.truth)}`,
        rssMb,
      };
    return {
      ok: true,
      phase: {
        proc,
        assigned,
        first,
        restored,
        recordsRead: proc.reported('recordsRead') ?? Number.NaN,
        rssMb,
        cpu: cores ? { cores: cores.system, brokerCores: cores.broker, otherCores: cores.other } : {},
        exitCode: proc.exited?.code ?? null,
      },
    };
  }

  /** The restart numbers (phases 2 and 3), after the scenario's main table. */
  reportExtra(results: readonly RunResult[], systems: readonly SystemName[]): string[] {
    const lines = [
      'Restore into RocksDB, and restart with the RocksDB checkpoint (median, min – max over the runs that count):',
      '',
      '| system | restore into RocksDB, records/s | restart: start → first event | start → every partition | changelog records read on restart | peak RSS after restart |',
      '|---|--:|--:|--:|--:|--:|',
    ];
    for (const system of systems) {
      const mine = results.filter((r) => r.system === system && r.ok && !r.repeated);
      if (mine.length === 0) continue;
      if (!WITH_STORE.includes(system)) {
        lines.push(`| ${system} | not applicable (no store) | | | | |`);
        continue;
      }
      const column = (field: string, unit: string, digits: number) => {
        const values = mine.map((r) => Number(r.detail?.[field])).filter((x) => Number.isFinite(x));
        if (values.length === 0) return '–';
        const f = (x: number) => (digits === 0 ? Math.round(x).toLocaleString('en-US') : x.toFixed(digits));
        return `${f(median(values))}${unit} (${f(min(values))} – ${f(max(values))})`;
      };
      lines.push(
        `| ${system} | ${column('rocksdbRecordsPerSec', '', 0)} | ${column('restartSeconds', ' s', 2)} | ${column('restartAllSeconds', ' s', 2)} | ${column('restartRecordsRead', '', 0)} | ${column('restartRssMb', ' MiB', 0)} |`,
      );
    }
    lines.push(
      '',
      'The restart is timed from the process start (spawn; it includes loading the runtime and the framework, ' +
        'connecting and joining the group) to the first probe event processed. "Records read" is what the ' +
        'program counts itself: Strom the `records` of its recovery reports, Faust the changelog records its ' +
        "recovery passes to the table's `apply_changelog_batch`.",
      '',
    );
    return lines;
  }
}

function keyCount(records: number): number {
  return Math.max(PARTITIONS, Math.ceil(records / UPDATES_PER_KEY));
}

/** The time of Strom's `partitions assigned` log line: its recoveries start there. */
function stromAssignedAt(logFile: string): number | undefined {
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"msg":"partitions assigned"')) continue;
    try {
      const time = (JSON.parse(line) as { time?: unknown }).time;
      if (typeof time === 'number') return time;
    } catch {
      // not a log line
    }
  }
  return undefined;
}

/** Deletes the run's groups: the app's, Strom's changelog readers', the kafkajs restorer's. */
async function deleteGroups(admin: BenchAdmin, prefix: string): Promise<void> {
  try {
    const { groups } = await admin.admin.listGroups();
    await admin.deleteGroups(groups.map((g) => g.groupId).filter((id) => id.startsWith(prefix)));
  } catch {
    // nothing to delete
  }
}
