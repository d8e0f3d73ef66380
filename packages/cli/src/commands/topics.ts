import type { Argv, CommandModule } from 'yargs';
import type { CommandContext, GlobalArgs } from '../context.js';
import { table } from './agents.js';

interface TopicsArgs extends GlobalArgs {
  create?: boolean;
}

/** `strom topics [--create]`: the app's topics, derived and dead-letter ones included. */
export function topicsCommand(context: CommandContext): CommandModule<GlobalArgs, TopicsArgs> {
  return {
    command: 'topics',
    describe: "list the app's topics with their partitions on the broker; --create makes the missing ones",
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs.option('create', { type: 'boolean', default: false, describe: 'create missing topics' }),
    handler: async (args) => {
      const app = await context.connectedApp(args);
      if (args.create) {
        const created = await app.createTopics();
        process.stdout.write(created.length ? `created: ${created.join(', ')}\n` : 'all topics exist\n');
      }
      const topics = await app.describeTopics();
      const rows = topics.map((t) => [
        t.name,
        t.partitions === undefined ? 'missing' : String(t.partitions),
        t.internal ? 'internal' : '',
      ]);
      process.stdout.write(table(['topic', 'partitions', ''], rows));
      await app.stop();
    },
  };
}
