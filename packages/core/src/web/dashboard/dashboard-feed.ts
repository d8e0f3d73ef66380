import type { RecoveryReport } from '../../tables/table-manager.js';
import type { RecentDeadLetter } from '../../worker/dead-letters.js';
import type { WorkerState } from '../../worker/worker-description.js';
import type { OffsetSampler, PartitionSeries } from './offset-sampler.js';
import { describeTopology, type Topology, type TopologySource } from './topology.js';

/** A table partition reading its changelog now: changelog records read, and to read. */
export interface TableRecoveryProgress {
  table: string;
  partition: number;
  read: number;
  total: number;
}

/** A table recovery under way, as the dashboard shows it: with its rate since first seen. */
export interface RecoveryInProgress extends TableRecoveryProgress {
  recordsPerSec: number;
  etaSec: number | undefined;
}

/** What the dashboard page polls: `GET /dashboard/api/snapshot`. */
export interface DashboardSnapshot {
  appId: string;
  state: WorkerState;
  atMs: number;
  topology: Topology;
  /** Records per second and lag per partition of the topics the agents read, oldest first. */
  throughput: PartitionSeries[];
  recoveries: { inProgress: RecoveryInProgress[]; done: readonly RecoveryReport[] };
  /** The newest dead letters this worker wrote, newest first. */
  deadLetters: RecentDeadLetter[];
  tables: Array<{ name: string; windowKind?: string }>;
}

export interface DashboardFeedOptions {
  appId: string;
  state: () => WorkerState;
  /** Called once the worker started (its topics and reads are known then). */
  topology: () => TopologySource;
  sampler: OffsetSampler;
  recoveriesInProgress: () => readonly TableRecoveryProgress[];
  recoveries: () => readonly RecoveryReport[];
  deadLetters: () => readonly RecentDeadLetter[];
}

/** Builds the dashboard's snapshots from what a worker knows; reads offsets only when asked. */
export class DashboardFeed {
  private topology: Topology | undefined;
  /** When each recovery under way was first seen, and how far it was then (its rate's base). */
  private readonly recoveriesSeen = new Map<string, { atMs: number; read: number }>();

  constructor(private readonly options: DashboardFeedOptions) {}

  async snapshot(now = Date.now()): Promise<DashboardSnapshot> {
    const o = this.options;
    const state = o.state();
    // the graph is fixed once the worker runs; before, groupBy may still add repartition topics
    const topology = this.topology ?? describeTopology(o.topology());
    if (state === 'running') this.topology = topology;
    if (state === 'running') await o.sampler.sampleIfDue(now);
    return {
      appId: o.appId,
      state,
      atMs: now,
      topology,
      throughput: o.sampler.series(),
      recoveries: {
        inProgress: this.recoveriesInProgress(now),
        done: o.recoveries(),
      },
      deadLetters: [...o.deadLetters()].reverse(),
      tables: topology.nodes
        .filter((n) => n.kind === 'table')
        .map((n) => ({ name: n.label, ...(n.windowKind === undefined ? {} : { windowKind: n.windowKind }) })),
    };
  }

  private recoveriesInProgress(now: number): RecoveryInProgress[] {
    const current = this.options.recoveriesInProgress();
    const keys = new Set(current.map((r) => `${r.table}[${r.partition}]`));
    for (const key of this.recoveriesSeen.keys()) if (!keys.has(key)) this.recoveriesSeen.delete(key);
    return current.map((r) => {
      const key = `${r.table}[${r.partition}]`;
      let seen = this.recoveriesSeen.get(key);
      if (seen === undefined || seen.read > r.read) {
        seen = { atMs: now, read: r.read };
        this.recoveriesSeen.set(key, seen);
      }
      const seconds = (now - seen.atMs) / 1000;
      const recordsPerSec = seconds > 0 ? Math.round((r.read - seen.read) / seconds) : 0;
      const etaSec =
        recordsPerSec > 0 ? Math.round(Math.max(r.total - r.read, 0) / recordsPerSec) : undefined;
      return { table: r.table, partition: r.partition, read: r.read, total: r.total, recordsPerSec, etaSec };
    });
  }
}
