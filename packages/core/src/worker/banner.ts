import type { WorkerDescription } from './worker-description.js';

/** The human-readable startup banner the CLI prints: what this worker runs and where. */
export function formatBanner(d: WorkerDescription): string {
  const lines = [
    `strom worker  app=${d.appId}  broker=${d.brokers.join(',')}`,
    ...(d.agents.length === 0 ? ['  agents: none'] : ['  agents:']),
    ...d.agents.map(
      (a) => `    ${a.name}${a.concurrency > 1 ? ` x${a.concurrency}` : ''}  <- ${a.topics.join(', ')}`,
    ),
    '  topics:',
    ...d.topics.map((t) => `    ${t.name}  [${t.partitions} partitions${t.internal ? ', internal' : ''}]`),
    `  tables: ${d.tables.length === 0 ? 'none' : d.tables.join(', ')}`,
  ];
  return lines.join('\n');
}
