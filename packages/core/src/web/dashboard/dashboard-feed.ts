import type { ProgressSnapshot } from '../../tables/recovery-progress.js';
import { progressFields } from '../../tables/recovery-progress.js';
import type { RecoveryReport } from '../../tables/table-manager.js';
import type { RecentDeadLetter } from '../../worker/dead-letters.js';
import type { WorkerState } from '../../worker/worker.js';
import type { OffsetSampler, PartitionSeries } from './offset-sampler.js';
import { describeTopology, type Topology, type TopologySource } from './topology.js';

/** A table recovery under way, as the dashboard shows it. */
export interface RecoveryInProgress {
  label: string;
  read: number;
  total: number;
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
  recoveriesInProgress: () => readonly ProgressSnapshot[];
  recoveries: () => readonly RecoveryReport[];
  deadLetters: () => readonly RecentDeadLetter[];
}

/** Builds the dashboard's snapshots from what a worker knows; reads offsets only when asked. */
export class DashboardFeed {
  private topology: Topology | undefined;

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
        inProgress: o.recoveriesInProgress().map((p) => ({ label: p.label, ...progressFields(p, now) })),
        done: o.recoveries(),
      },
      deadLetters: [...o.deadLetters()].reverse(),
      tables: topology.nodes
        .filter((n) => n.kind === 'table')
        .map((n) => ({ name: n.label, ...(n.windowKind === undefined ? {} : { windowKind: n.windowKind }) })),
    };
  }
}
