import type { CommandModule } from 'yargs';
import type { CommandContext, GlobalArgs } from '../context.js';

/** `strom agents`: what the app runs, without connecting to Kafka. */
export function agentsCommand(context: CommandContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'agents',
    describe: "list the app's agents and the topics they read",
    handler: async (args) => {
      const app = await context.app(args);
      const rows = app.agents.map((a) => [
        a.name,
        a.topics.map((t) => t.name).join(', '),
        String(a.concurrency),
        a.sinks.map((s) => (typeof s === 'function' ? 'callback' : String(s))).join(', ') || '-',
        a.onError,
      ]);
      process.stdout.write(table(['agent', 'topics', 'concurrency', 'sinks', 'onError'], rows));
    },
  };
}

/** A plain aligned text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
