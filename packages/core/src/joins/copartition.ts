/**
 * Co-partitioning of join inputs. A co-partitioned join reads partition p of every input in one
 * place, so the inputs must have the same partition count (and the same partitioner: Strom
 * writes every topic with kafkajs' default). Joins register their inputs when the agent builds
 * them; the worker checks the counts at start, before it creates any topic.
 */
import { StromError } from '../errors/errors.js';
import type { Topic } from '../topics/topic.js';

export interface CopartitionRequirement {
  /** What joins them, for the message: `join ride-pickups`. */
  what: string;
  topics: readonly Topic[];
}

/** What the check needs of the app: its topics, and where a derived topic takes its count from. */
export interface CopartitionContext {
  allTopics(): Topic[];
  sourcesOf(topic: Topic): readonly Topic[] | undefined;
  readonly settings: { readonly topicPartitions: number };
}

/** Requirements by their first topic (a topic object belongs to one app). */
const requirements = new WeakMap<Topic, CopartitionRequirement[]>();

/** Records that `topics` must be co-partitioned (idempotent for the same `what`). */
export function requireCopartitioned(what: string, topics: readonly Topic[]): void {
  const first = topics[0];
  if (first === undefined) return;
  const list = requirements.get(first) ?? [];
  if (list.some((r) => r.what === what)) return;
  list.push({ what, topics });
  requirements.set(first, list);
}

/** The requirements whose topics all belong to the app of `context`. */
export function copartitionRequirements(context: CopartitionContext): CopartitionRequirement[] {
  const topics = new Set(context.allTopics());
  const found: CopartitionRequirement[] = [];
  for (const topic of topics)
    for (const r of requirements.get(topic) ?? []) if (r.topics.every((t) => topics.has(t))) found.push(r);
  return found;
}

/**
 * The partition count each topic will have: its count on the broker, else its declared count,
 * else (a derived topic: repartition, changelog) that of its first source, else the default.
 */
export function expectedCount(
  topic: Topic,
  existing: ReadonlyMap<string, number>,
  context: CopartitionContext,
): number {
  const actual = existing.get(topic.name);
  if (actual !== undefined) return actual;
  if (topic.partitions !== undefined) return topic.partitions;
  const source = context.sourcesOf(topic)?.[0];
  return source ? expectedCount(source, existing, context) : context.settings.topicPartitions;
}

/** Throws one line naming the topics and their counts when a requirement is not met. */
export function checkCopartitioned(
  found: readonly CopartitionRequirement[],
  existing: ReadonlyMap<string, number>,
  context: CopartitionContext,
): void {
  for (const { what, topics } of found) {
    const counts = topics.map((t) => ({ name: t.name, count: expectedCount(t, existing, context) }));
    if (new Set(counts.map((c) => c.count)).size > 1) {
      throw new StromError(
        'CONFIG',
        `${what}: its inputs are not co-partitioned (${counts.map((c) => `${c.name}: ${c.count} partitions`).join(', ')}); ` +
          'give them the same partition count (a stream-table lookup can use a global table instead)',
      );
    }
  }
}

/** Checks the co-partitioning of the app's joins against the broker's partition counts (worker start). */
export async function checkJoinInputs(
  admin: { partitionCounts(topics: string[]): Promise<Map<string, number>> },
  context: CopartitionContext,
): Promise<void> {
  const found = copartitionRequirements(context);
  if (found.length === 0) return;
  const names = [...new Set(found.flatMap((r) => r.topics.map((t) => t.name)))];
  checkCopartitioned(found, await admin.partitionCounts(names), context);
}
