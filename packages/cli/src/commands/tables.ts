import type { Argv, CommandModule } from 'yargs';
import type { CommandContext, GlobalArgs } from '../context.js';
import { table as textTable } from './agents.js';

interface TableArgs extends GlobalArgs {
  name: string;
  json?: boolean;
  key?: string;
}

/** `strom tables`: the app's tables, their partitions and who owns each. */
export function tablesCommand(context: CommandContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'tables',
    describe: "list the app's tables, their changelog partitions and the worker owning each",
    handler: async (args) => {
      const app = await context.connectedApp(args);
      const tables = await app.describeTables();
      const rows = tables.flatMap((t) => {
        const count = t.partitions ?? 0;
        if (count === 0) return [[t.name, t.changelog, '-', 'changelog missing']];
        return Array.from({ length: count }, (_, p) => [
          t.name,
          t.changelog,
          String(p),
          t.owners[p] ?? 'no worker',
        ]);
      });
      process.stdout.write(textTable(['table', 'changelog', 'partition', 'owner'], rows));
      await app.stop();
    },
  };
}

/** `strom table <name>`: a table's contents, read from its changelog (no worker needed). */
export function tableCommand(context: CommandContext): CommandModule<GlobalArgs, TableArgs> {
  return {
    command: 'table <name>',
    describe: "print a table's current contents, read from its changelog",
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .positional('name', { type: 'string', demandOption: true, describe: 'table name' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' })
        .option('key', {
          alias: 'k',
          type: 'string',
          describe: 'print only this key (as printed, e.g. 1 or "a b")',
        }),
    handler: async (args) => {
      const app = await context.connectedApp(args);
      const contents = await app.readTable(args.name);
      const entries = [...contents].filter(([key]) => args.key === undefined || key === args.key);
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      if (args.json) process.stdout.write(`${JSON.stringify(Object.fromEntries(entries))}\n`);
      else
        process.stdout.write(
          textTable(
            ['key', 'value'],
            entries.map(([k, v]) => [k, JSON.stringify(v)]),
          ),
        );
      await app.stop();
    },
  };
}
