import { Agent } from '../agents/agent.js';
import type { AppContext } from '../app/context.js';
import type { Logger } from '../logging/logger.js';
import type { Table, TableOptions } from '../tables/table.js';
import type { Topic } from '../topics/topic.js';
import type { ForeignKeyJoinHost } from './foreign-key.js';

/** What the app lends its joins: its logger, its context, and how it registers tables and agents. */
export interface JoinHostParts {
  log: Logger;
  context: AppContext;
  addTable<K, V>(name: string, options: TableOptions<K, V>): Table<K, V, V | undefined>;
  addAgent(agent: Agent): void;
}

/** The narrow host a join is built with (tables, internal topics and agents of the app). */
export function joinHost(parts: JoinHostParts): ForeignKeyJoinHost {
  const { context } = parts;
  return {
    log: parts.log,
    derivedTable: (name, options, sources) => {
      const table = parts.addTable(name, options);
      // co-partitioned with its sides: their changelogs' partition counts must agree (checked at start)
      context.deriveFrom(
        table.changelog,
        sources.map((s) => s.changelog),
      );
      return table;
    },
    internalTopic: <V, K>(name: string, source: Table<unknown, unknown, unknown>) => {
      const topic = context.declare<V, K>(`${context.appId}-${name}`, {
        internal: true,
        keyCodec: 'json',
        valueCodec: 'json',
      });
      context.deriveFrom(topic as Topic, [source.changelog]);
      return topic;
    },
    joinAgent: (topic, name, fn) => {
      // a record it fails on (a joiner that throws) goes to the topic's dead-letter topic
      const agent = new Agent([topic], fn, { name }, context) as unknown as Agent;
      parts.addAgent(agent);
      context.joinAgents.push(agent);
    },
    sender: () => context.sender(),
  };
}
