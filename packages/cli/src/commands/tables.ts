import { type App, createTableClient, type TimeWindow } from '@strom/core';
import { decodeWindowedKey, parseKeyParam } from '@strom/core/cli-support';
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
      const windowed = app.tables.find((t) => t.name === args.name)?.windowKind !== undefined;
      const fromWorkers =
        args.key === undefined ? undefined : await askWorkers(app, args.name, args.key, windowed);
      const rows =
        fromWorkers ??
        [...(await app.readTable(args.name))].map(([id, value]) =>
          windowed ? windowRow(id, value) : { id, key: id, value },
        );
      const shown = rows.filter((r) => args.key === undefined || r.key === args.key);
      shown.sort((a, b) => compareText(a.key, b.key) || (a.window?.startMs ?? 0) - (b.window?.startMs ?? 0));
      if (args.json)
        process.stdout.write(`${JSON.stringify(Object.fromEntries(shown.map((r) => [r.id, r.value])))}\n`);
      else if (windowed)
        process.stdout.write(
          textTable(
            ['key', 'window', 'value'],
            shown.map((r) => [r.key, r.window ? formatWindow(r.window) : '-', JSON.stringify(r.value)]),
          ),
        );
      else
        process.stdout.write(
          textTable(
            ['key', 'value'],
            shown.map((r) => [r.key, JSON.stringify(r.value)]),
          ),
        );
      await app.stop();
    },
  };
}

/**
 * With --key and workers running with their web server: the key's current value (or windows)
 * from them, routed to the owner. Undefined when no worker serves queries: read the changelog.
 */
async function askWorkers(
  app: App,
  name: string,
  keyText: string,
  windowed: boolean,
): Promise<TableRow[] | undefined> {
  const urls = await app.webUrls();
  if (urls.length === 0) {
    process.stderr.write('no worker serves queries (web: true): reading the changelog\n');
    return undefined;
  }
  const key = parseKeyParam(keyText);
  const client = createTableClient<unknown, unknown>(urls, name);
  process.stderr.write(`asking the workers at ${urls.join(', ')}\n`);
  if (windowed)
    return (await client.windows(key)).map(({ startMs, endMs, value }) => ({
      id: JSON.stringify([key, startMs, endMs]),
      key: keyText,
      window: { startMs, endMs },
      value,
    }));
  const value = await client.get(key);
  return value === undefined ? [] : [{ id: keyText, key: keyText, value }];
}

interface TableRow {
  /** The key as readTable gives it: a string key itself, else its JSON text. */
  id: string;
  /** The table key as printed (for a windowed table: without the window). */
  key: string;
  window?: TimeWindow;
  value: unknown;
}

/** A windowed table's entry: its key `[key, startMs, endMs]` split into key and window. */
function windowRow(id: string, value: unknown): TableRow {
  try {
    const { key, window } = decodeWindowedKey(id);
    return { id, key: typeof key === 'string' ? key : JSON.stringify(key), window, value };
  } catch {
    return { id, key: id, value };
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** ISO-8601 UTC without milliseconds when they are 0: `2020-07-01T00:15:00Z`. */
function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** `[2020-07-01T00:15:00Z, 00:16:00Z)`: end exclusive, as a time of day when on the start's day. */
export function formatWindow(window: TimeWindow): string {
  const start = isoTime(window.startMs);
  const end = isoTime(window.endMs);
  return `[${start}, ${start.slice(0, 10) === end.slice(0, 10) ? end.slice(11) : end})`;
}
