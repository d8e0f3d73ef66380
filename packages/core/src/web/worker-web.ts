import type { Logger } from '../logging/logger.js';
import type { WorkerDescription, WorkerState } from '../worker/worker.js';
import { type WebRoutes, WebServer } from './web-server.js';
import type { WorkerView } from './worker-view.js';

export interface WorkerWebOptions {
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
}

/**
 * The web side of one worker: its server, and whether its answers are current. The worker
 * tells it when a rebalance starts and when this member joined; between the two, and until
 * every assigned table partition recovered, the worker is not ready.
 */
export class WorkerWeb {
  private readonly server: WebServer;
  private readonly options: WorkerWebOptions;
  /** True from the start of a rebalance until this member's new assignment arrived. */
  private rebalancing = true;

  constructor(options: WorkerWebOptions) {
    this.options = options;
    const { worker } = options;
    const view: WorkerView = {
      appId: worker.appId,
      get state() {
        return worker.state();
      },
      describe: worker.describe,
      notReady: () => this.notReady(),
    };
    this.server = new WebServer({
      host: options.host,
      port: options.port,
      url: options.url,
      routes: options.routes,
      worker: view,
      log: options.log.child({ component: 'web' }),
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
    this.rebalancing = true;
  }

  /** This member's new assignment arrived. */
  joined(): void {
    this.rebalancing = false;
  }

  private notReady(): string | undefined {
    const state = this.options.worker.state();
    if (state !== 'running') return `the worker is ${state}`;
    if (this.rebalancing) return 'a rebalance is under way';
    const recovering = this.options.worker.recovering();
    if (recovering.length > 0) return `recovering table partitions ${recovering.join(', ')}`;
    return undefined;
  }
}
