import { formatBanner, stopOnSignals } from '@strom/core';
import type { CommandModule } from 'yargs';
import type { CommandContext, GlobalArgs } from '../context.js';

/** `strom worker`: run the app's agents until SIGINT/SIGTERM. */
export function workerCommand(context: CommandContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'worker',
    describe: "run the app's agents in this process (stop with Ctrl-C / SIGTERM)",
    handler: async (args) => {
      const app = await context.connectedApp(args);
      const worker = app.createWorker();
      const removeHandlers = stopOnSignals(worker);
      try {
        const description = await worker.start();
        process.stdout.write(`${formatBanner(description)}\n`);
        context.exitCode = await worker.finished;
        if (worker.error !== undefined) throw worker.error;
      } finally {
        removeHandlers();
      }
    },
  };
}
