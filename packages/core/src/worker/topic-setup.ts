import type { AppContext } from '../app/context.js';
import { StromError } from '../errors/errors.js';
import type { Topic } from '../topics/topic.js';
import type { AdminClient, TopicSpec } from '../transport/types.js';

const DEAD_LETTER_PARTITIONS = 1;

export interface TopicSetup {
  /** Partition count of every topic of the app (after creation). */
  partitions: Map<string, number>;
  /** Topics this call created. */
  created: string[];
}

/**
 * Creates the app's missing topics: declared ones (with their own or the app's partition
 * count), derived ones — repartition topics and table changelogs — with the partition count of
 * their sources, and the dead-letter topics of `subscribed`. A derived topic whose existing
 * count differs is an error: its keys would land on the wrong worker.
 */
export async function setUpTopics(
  admin: AdminClient,
  context: AppContext,
  subscribed: readonly Topic[],
): Promise<TopicSetup> {
  const { settings } = context;
  const topics = context.allTopics();
  const specOf = (topic: Topic, partitions: number): TopicSpec => ({
    topic: topic.name,
    partitions,
    replicationFactor: topic.replicationFactor,
    config: topic.config,
  });
  const plain = topics.filter((t) => context.sourcesOf(t) === undefined);
  const created = await admin.createTopics(
    plain.map((t) => specOf(t, t.partitions ?? settings.topicPartitions)),
  );
  const counts = await admin.partitionCounts(plain.map((t) => t.name));
  // derived topics resolve in rounds: a changelog may derive from a repartition topic
  const derived: TopicSpec[] = [];
  let pending = topics.filter((t) => context.sourcesOf(t) !== undefined);
  while (pending.length > 0) {
    const ready = pending.filter(
      (t) =>
        t.partitions !== undefined ||
        context.sourcesOf(t)!.every((s) => counts.has(s.name) || context.sourcesOf(s) === undefined),
    );
    if (ready.length === 0)
      throw new StromError(
        'CONFIG',
        `derived topics depend on each other: ${pending.map((t) => t.name).join(', ')}`,
      );
    for (const topic of ready) {
      const partitions =
        topic.partitions ?? derivedCount(topic, context.sourcesOf(topic)!, counts, settings.topicPartitions);
      counts.set(topic.name, partitions);
      derived.push(specOf(topic, partitions));
    }
    pending = pending.filter((t) => !ready.includes(t));
  }
  created.push(...(await admin.createTopics(derived)));
  const deadLetterTopics = [...new Set(subscribed.map((t) => t.deadLetterTopic))];
  created.push(
    ...(await admin.createTopics(
      deadLetterTopics.map((name) => ({
        topic: name,
        partitions: DEAD_LETTER_PARTITIONS,
        replicationFactor: settings.topicReplicationFactor,
      })),
    )),
  );
  const partitions = await admin.partitionCounts([...topics.map((t) => t.name), ...deadLetterTopics]);
  for (const d of derived) {
    const actual = partitions.get(d.topic);
    if (actual !== undefined && actual !== d.partitions) {
      throw new StromError(
        'TOPIC',
        `${d.topic} has ${actual} partitions but must have ${d.partitions} like its source: delete it (it is internal) and restart`,
        { topic: d.topic },
      );
    }
  }
  return { partitions, created };
}

function derivedCount(
  topic: Topic,
  sources: readonly Topic[],
  counts: Map<string, number>,
  fallback: number,
): number {
  const known = sources.map((s) => ({ name: s.name, count: counts.get(s.name) ?? s.partitions ?? fallback }));
  const distinct = new Set(known.map((k) => k.count));
  if (distinct.size > 1) {
    throw new StromError(
      'CONFIG',
      `${topic.name} must be co-partitioned with the topics it is derived from, but they differ (${known
        .map((k) => `${k.name}: ${k.count}`)
        .join(', ')}): give it an explicit partition count`,
    );
  }
  return known[0]?.count ?? fallback;
}
