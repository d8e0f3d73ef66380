import { describeError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { RECORD_BATCH_OVERHEAD_BYTES, type TopicLimit } from '../producer/buffered-producer.js';
import type { AdminClient } from '../transport/types.js';

const LIMIT_CONFIGS = ['max.message.bytes', 'cleanup.policy'];

/** The limits in topics' configs (`max.message.bytes`, `cleanup.policy`). */
export function limitsFromConfigs(
  configs: ReadonlyMap<string, Record<string, string>>,
): Map<string, TopicLimit> {
  const limits = new Map<string, TopicLimit>();
  for (const [topic, config] of configs) {
    const maxMessageBytes = Number(config['max.message.bytes']);
    if (!Number.isInteger(maxMessageBytes) || maxMessageBytes <= 0) continue;
    const compacted = (config['cleanup.policy'] ?? '').split(',').includes('compact');
    limits.set(topic, { maxMessageBytes, compacted });
  }
  return limits;
}

/**
 * The topics that refuse some record the producer may send: a request (and so a record that
 * goes alone) of `maxRequestBytes` needs `maxRequestBytes` plus a batch header.
 */
export function topicsBelow(
  limits: ReadonlyMap<string, TopicLimit>,
  maxRequestBytes: number,
): Record<string, number> {
  const below: Record<string, number> = {};
  for (const [topic, limit] of limits) {
    if (limit.maxMessageBytes < maxRequestBytes + RECORD_BATCH_OVERHEAD_BYTES)
      below[topic] = limit.maxMessageBytes;
  }
  return below;
}

/**
 * Reads the limits of the app's topics at worker start, and logs one warning naming those that
 * take less than the producer may send: records above their limit go to dead-letter topics.
 * A broker that does not let the app describe configs leaves the limits unknown (the broker
 * still refuses what does not fit, and the producer then finds the record by resending).
 */
export async function readTopicLimits(
  admin: AdminClient,
  topics: string[],
  maxRequestBytes: number,
  log: Logger,
): Promise<Map<string, TopicLimit>> {
  let limits: Map<string, TopicLimit>;
  try {
    limits = limitsFromConfigs(await admin.topicConfigs(topics, LIMIT_CONFIGS));
  } catch (error) {
    log.warn({ err: error }, `could not read the topics' max.message.bytes: ${describeError(error)}`);
    return new Map();
  }
  const below = topicsBelow(limits, maxRequestBytes);
  if (Object.keys(below).length > 0) {
    log.warn(
      { topics: below, producerMaxRequestBytes: maxRequestBytes },
      'topics with a max.message.bytes below producerMaxRequestBytes: larger records sent to them go to dead-letter topics',
    );
  } else {
    log.debug({ topics: limits.size, producerMaxRequestBytes: maxRequestBytes }, 'topic limits checked');
  }
  return limits;
}
