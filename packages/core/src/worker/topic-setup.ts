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
 * count), repartition topics (with their source's count), and the dead-letter topics of
 * `subscribed`. A repartition topic whose count differs from its source is an error: its keys
 * would land on the wrong worker.
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
  const derived: TopicSpec[] = [];
  for (const topic of topics) {
    const sources = context.sourcesOf(topic);
    if (!sources) continue;
    const partitions = Math.max(...sources.map((s) => counts.get(s.name) ?? settings.topicPartitions));
    derived.push(specOf(topic, partitions));
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
        `${d.topic} has ${actual} partitions but its source has ${d.partitions}: delete it (it is internal) and restart`,
        { topic: d.topic },
      );
    }
  }
  return { partitions, created };
}
