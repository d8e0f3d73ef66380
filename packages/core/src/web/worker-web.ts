import type { Logger } from '../logging/logger.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import type { Table } from '../tables/table.js';
import type { TablePartition } from '../tables/table-partition.js';
import type { GroupMember } from '../transport/types.js';
import type { WorkerDescription, WorkerState } from '../worker/worker-description.js';
import { metricsRoutes } from './metrics-routes.js';
import { PartitionOwners } from './partition-owners.js';
import { TableQueries } from './table-queries.js';
import { tableRoutes } from './table-routes.js';
import { type WebRoutes, WebServer } from './web-server.js';
import type { WorkerView } from './worker-view.js';

type AnyTable = Table<unknown, unknown>;

/** How often, and how many times, a worker asks for the group's description after joining. */
const OWNERS_RETRY_MS = 300;
const OWNERS_ATTEMPTS = 20;

export interface WorkerWebOptions {
  metrics: WorkerMetrics;
  host: string;
  port: number;
  url: string | undefined;
  routes: readonly WebRoutes[];
  log: Logger;
  worker: {
    appId: string;
    state: () => WorkerState;
    describe: () => WorkerDescription;
    /** Assigned table partitions still recovering (`name[p]`). */
    recovering: () => string[];
  };
  tables: {
    list: readonly AnyTable[];
    partitionCount: (table: AnyTable) => number | undefined;
    heldPartition: (table: AnyTable, partition: number) => TablePartition<unknown> | undefined;
    isAssigned: (count: number, partition: number) => boolean;
  };
  /** The group's members with their assignment and assignment data (a describe of the group). */
  members: () => Promise<GroupMember[]>;
  /** Partitions of a topic the worker reads or writes. */
  partitionCount: (topic: string) => number | undefined;
  /** A member's web URL from its assignment data. */
  webUrlOf: (member: GroupMember) => string | undefined;
}

/**
 * The web side of one worker: its server, whether its answers are current, and who owns the
 * other partitions. The worker tells it when a rebalance starts and when this member joined;
 * between the two, and until every assigned table partition recovered, it is not ready. After a
 * join it describes the group to learn every member's partitions and web URL.
 */
export class WorkerWeb {
  private readonly server: WebServer;
  private readonly options: WorkerWebOptions;
  private readonly log: Logger;
  /** True from the start of a rebalance until this member's new assignment arrived. */
  private rebalancing = true;
  /** Bumped on every rebalance and join, so a description of an older generation is dropped. */
  private generation = 0;
  private memberId: string | undefined;
  private owners: PartitionOwners | undefined;

  constructor(options: WorkerWebOptions) {
    this.options = options;
    this.log = options.log.child({ component: 'web' });
    const { worker } = options;
    const view: WorkerView = {
      appId: worker.appId,
      get state() {
        return worker.state();
      },
      describe: worker.describe,
      notReady: () => this.notReady(),
      metrics: options.metrics.registry,
    };
    const queries = new TableQueries({
      tables: options.tables.list,
      partitionCount: options.tables.partitionCount,
      heldPartition: options.tables.heldPartition,
      isAssigned: options.tables.isAssigned,
      notCurrent: () => this.notCurrent(),
      owners: () => this.owners,
      memberId: () => this.memberId,
      log: this.log,
    });
    this.server = new WebServer({
      host: options.host,
      port: options.port,
      url: options.url,
      routes: [
        (web) => metricsRoutes(web, options.metrics),
        (web) => tableRoutes(web, queries, () => this.server.url, this.log),
        ...options.routes,
      ],
      worker: view,
      log: this.log,
    });
  }

  /** The URL other workers reach this one at, once listening. */
  get url(): string | undefined {
    return this.server.url;
  }

  start(): Promise<string> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  /** The group started a rebalance: partitions may move, answers may no longer be current. */
  rebalanceStarted(): void {
    this.generation += 1;
    this.rebalancing = true;
    this.owners = undefined;
  }

  /** This member's new assignment arrived: answer for it, and learn who owns the rest. */
  joined(memberId: string): void {
    const generation = ++this.generation;
    this.rebalancing = false;
    this.memberId = memberId;
    this.owners = undefined;
    void this.learnOwners(generation);
  }

  /**
   * Describes the group until it shows this member with its web URL (the description can lag the
   * join by a moment), then keeps the owners it shows — unless a newer rebalance began meanwhile.
   */
  private async learnOwners(generation: number): Promise<void> {
    for (let attempt = 0; attempt < OWNERS_ATTEMPTS && generation === this.generation; attempt++) {
      try {
        const members = await this.options.members();
        const self = members.find((m) => m.memberId === this.memberId);
        if (generation !== this.generation) return;
        if (self && this.options.webUrlOf(self) !== undefined) {
          this.owners = new PartitionOwners(members, this.options.partitionCount, this.options.webUrlOf);
          this.log.debug({ members: members.length }, 'learned the owners of partitions');
          return;
        }
      } catch (error) {
        this.log.debug({ err: error }, 'could not describe the group');
      }
      await new Promise((resolve) => setTimeout(resolve, OWNERS_RETRY_MS));
    }
    if (generation === this.generation)
      this.log.warn('could not learn the owners of partitions: queries of other partitions answer 503');
  }

  /** Why no answer of this worker is current (worker state, rebalance), else undefined. */
  private notCurrent(): string | undefined {
    const state = this.options.worker.state();
    if (state !== 'running') return `the worker is ${state}`;
    if (this.rebalancing) return 'a rebalance is under way';
    return undefined;
  }

  private notReady(): string | undefined {
    const reason = this.notCurrent();
    if (reason !== undefined) return reason;
    const recovering = this.options.worker.recovering();
    if (recovering.length > 0) return `recovering table partitions ${recovering.join(', ')}`;
    return undefined;
  }
}
