import { App, type LogLevel } from '@strom/core';
import { parseBrokers } from '@strom/core/cli-support';
import { UsageError } from './errors.js';
import { loadApp } from './load-app.js';
import { requireReachable } from './probe.js';

/** Options every command accepts. */
export interface GlobalArgs {
  app?: string;
  loglevel?: LogLevel;
  broker?: string;
}

/** What commands share: how to get the app, and where to put the exit code. */
export class CommandContext {
  exitCode = 0;
  brokers: string[] = ['localhost:9092'];

  /**
   * @param argv this command line (after the script): what `worker --processes` runs again in
   *   each child
   */
  constructor(
    private readonly preloaded: App | undefined,
    readonly argv: readonly string[] = [],
  ) {}

  get hasPreloadedApp(): boolean {
    return this.preloaded !== undefined;
  }

  /** An app of our own for commands that work without an app file (send); does no I/O. */
  ownApp(args: GlobalArgs): App {
    if (args.broker) this.brokers = parseBrokers(args.broker);
    const app = new App({ id: 'strom-cli', broker: this.brokers, logLevel: args.loglevel ?? 'warn' });
    this.brokers = app.settings.brokers;
    return app;
  }

  /** Fails in one line if no broker of the app answers. */
  async requireBroker(): Promise<void> {
    await requireReachable(this.brokers);
  }

  /** Like {@link app}, for commands that talk to Kafka: fails in one line if no broker answers. */
  async connectedApp(args: GlobalArgs): Promise<App> {
    const app = await this.app(args);
    await this.requireBroker();
    return app;
  }

  /** Applies --broker and --loglevel, then returns the app (loading the --app file if needed). */
  async app(args: GlobalArgs): Promise<App> {
    if (args.broker) {
      this.brokers = parseBrokers(args.broker);
      process.env.STROM_BROKER = this.brokers.join(',');
    }
    if (args.loglevel) process.env.STROM_LOG_LEVEL = args.loglevel;
    let app = this.preloaded;
    if (!app) {
      if (!args.app)
        throw new UsageError(
          '--app is required: the file that creates your App, e.g. strom worker -A app.ts',
        );
      app = await loadApp(args.app);
    } else if (args.broker) {
      app.settings.brokers = this.brokers;
    }
    if (args.loglevel) app.log.level = args.loglevel;
    this.brokers = app.settings.brokers;
    return app;
  }
}
