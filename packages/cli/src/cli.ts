import { type App, LOG_LEVELS } from '@strom/core';
import yargs from 'yargs';
import { agentsCommand } from './commands/agents.js';
import { newCommand } from './commands/new.js';
import { resetCommand } from './commands/reset.js';
import { schemasCommand } from './commands/schemas.js';
import { sendCommand } from './commands/send.js';
import { tableCommand, tablesCommand } from './commands/tables.js';
import { topicCommand } from './commands/topic.js';
import { topicsCommand } from './commands/topics.js';
import { workerCommand } from './commands/worker.js';
import { CommandContext, type GlobalArgs } from './context.js';
import { explain, UsageError } from './errors.js';
import { explainUnknownArguments, knownNames } from './unknown-arguments.js';
import { versionText } from './versions.js';

/**
 * Runs one `strom` command and returns its exit code: 0 ok, 1 failure, 2 bad usage.
 * With `app` (from `app.main()`), `--app` is not needed.
 */
export async function runCli(argv: string[], options: { app?: App } = {}): Promise<number> {
  const context = new CommandContext(options.app, argv);
  const parser = yargs(argv)
    .scriptName(options.app ? 'tsx <app file>' : 'strom')
    .usage('$0 <command> [options]')
    .option('app', {
      alias: 'A',
      type: 'string',
      describe: 'the app file (.ts or .js) that creates your App',
      hidden: options.app !== undefined,
    })
    .option('loglevel', { alias: 'l', choices: LOG_LEVELS, describe: 'log level (default info)' })
    .option('broker', {
      alias: 'b',
      type: 'string',
      describe: 'Kafka bootstrap servers, host:port[,host:port]',
    })
    .command(workerCommand(context))
    .command(sendCommand(context) as never)
    .command(agentsCommand(context))
    .command(topicsCommand(context) as never)
    .command(tablesCommand(context))
    .command(tableCommand(context) as never)
    .command(topicCommand(context))
    .command(resetCommand(context) as never)
    .command(newCommand() as never)
    .command(schemasCommand() as never)
    .demandCommand(
      1,
      'name a command: worker, send, agents, topics, topic, tables, table, reset, new or schemas (see --help)',
    )
    .strict()
    .locale('en')
    .exitProcess(false)
    .fail((message, error, usage) => {
      if (error) throw error;
      throw new UsageError(explainUnknownArguments(message, argv, knownNames(usage)) ?? message);
    })
    .help()
    .alias('h', 'help')
    .version('version', 'show the versions of @strom/cli and @strom/core', versionText())
    .alias('V', 'version')
    .wrap(Math.min(110, process.stdout.columns ?? 110));
  try {
    await parser.parseAsync();
    return context.exitCode;
  } catch (error) {
    const { message, code } = explain(error, context.brokers);
    process.stderr.write(`strom: ${message}\n`);
    return code;
  }
}

export type { GlobalArgs };
