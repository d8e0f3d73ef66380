import { ConfigError, stopOnSignals, stopOnUnhandledErrors, type Worker } from '@strom/core';
import { formatBanner } from '@strom/core/cli-support';
import type { CommandModule } from 'yargs';
import type { CommandContext, GlobalArgs } from '../context.js';
import { childStateDir, reportRunning, stopWhenSupervisorGone } from '../supervisor/child-link.js';
import { resolveProcesses, runSupervised } from '../supervisor/run-supervised.js';

/**
 * After the worker stopped, the process ends even if agent code still holds the event loop
 * (a timer, a socket): what it does can no longer be committed.
 */
const EXIT_GRACE_MS = 1000;

interface WorkerArgs {
  processingGuarantee?: 'at_least_once' | 'exactly_once';
  processes?: string;
  processIndex?: number;
}

/** `strom worker`: run the app's agents until SIGINT/SIGTERM. */
export function workerCommand(context: CommandContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'worker',
    describe: "run the app's agents in this process (stop with Ctrl-C / SIGTERM)",
    builder: (yargs) =>
      yargs
        .option('processing-guarantee', {
          choices: ['at_least_once', 'exactly_once'] as const,
          describe: "overrides the app's processingGuarantee setting",
        })
        .option('web-port', {
          type: 'number',
          describe:
            "serve the web server (docs/web.md) on this port: overrides the app's web and webPort settings",
        })
        .option('processes', {
          type: 'string',
          describe: 'worker processes to run, supervised by this one (a number, or auto: one per CPU core)',
        })
        .option('process-index', {
          type: 'number',
          hidden: true,
          describe: 'set by the supervisor in each worker process it runs',
        }),
    handler: async (args) => {
      const { processingGuarantee: guarantee, processes, processIndex } = args as WorkerArgs;
      const supervised = processIndex !== undefined;
      let worker: Worker | undefined;
      // installed before the app loads and the broker is probed: a signal then exits 0 at once;
      // kept until the process ends, so a relayed second signal arriving just after the worker
      // stopped cannot kill the process by default action (seen in CI: stopped in 190 ms, the
      // test's second SIGTERM came at 200 ms)
      const removeSignals = stopOnSignals(() => worker);
      let removeGuards: (() => void) | undefined;
      const removeOrphanGuard = supervised ? stopWhenSupervisorGone(() => worker) : undefined;
      try {
        const app = await context.connectedApp(args);
        const count = supervised ? 1 : resolveProcesses(processes ?? app.settings.workerProcesses);
        if (count > 1) {
          // the supervisor handles signals itself: it forwards them to its children
          removeSignals();
          context.exitCode = await runSupervised(app, count, context.argv);
          return;
        }
        if (guarantee !== undefined) app.settings.processingGuarantee = guarantee;
        const webPort = (args as { webPort?: number }).webPort;
        if (webPort !== undefined) {
          if (!Number.isInteger(webPort) || webPort < 0 || webPort > 65_535)
            throw new ConfigError(`--web-port must be a port number (0-65535), got ${webPort}`);
          app.settings.web = true;
          app.settings.webPort = webPort;
        }
        if (supervised) {
          app.settings.stateDir = childStateDir(app.settings.stateDir, app.id, processIndex);
          // each child serves on a port of its own: webPort + its index (0: any free port)
          if (app.settings.web && app.settings.webPort !== 0) app.settings.webPort += processIndex;
        }
        worker = app.createWorker();
        removeGuards = stopOnUnhandledErrors(worker);
        // a start that failed, or that a signal stopped, is reported once the worker finished stopping
        const description = await worker.start().catch(() => undefined);
        if (description !== undefined) {
          if (supervised) reportRunning(description);
          else process.stdout.write(`${formatBanner(description)}\n`);
        }
        context.exitCode = await worker.finished;
        if (worker.error !== undefined && context.exitCode === 1) throw worker.error;
        setTimeout(() => process.exit(context.exitCode), EXIT_GRACE_MS).unref();
      } finally {
        removeGuards?.();
        removeOrphanGuard?.();
      }
    },
  };
}
