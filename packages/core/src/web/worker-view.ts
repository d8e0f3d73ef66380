import type { Registry } from 'prom-client';
import type { WorkerDescription, WorkerState } from '../worker/worker-description.js';

/**
 * What web routes see of the worker they run in: read-only, and cheap to call per request.
 * Routes get it as their second argument (see {@link WebRoutes}).
 */
export interface WorkerView {
  readonly appId: string;
  readonly state: WorkerState;
  /** Agents, topics and tables of the app, as the worker's banner shows them. */
  describe(): WorkerDescription;
  /**
   * Why the worker cannot answer for its partitions now — starting, stopping, in a rebalance,
   * recovering table partitions — or undefined when every assigned partition is current.
   */
  notReady(): string | undefined;
  /** The worker's Prometheus registry (what /metrics serves; `getSingleMetric`, `getMetricsAsJSON`). */
  readonly metrics: Registry;
}
