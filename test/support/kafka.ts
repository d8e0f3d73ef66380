/**
 * Helpers for integration tests against the real broker that test/support/global-setup.ts
 * provides. Every test gets its own topics and consumer groups, so test files can run in
 * parallel on one broker without seeing each other's data.
 *
 * @example
 *   const topic = await createTopic(uniqueName('rides'), { partitions: 4 });
 *   const producer = kafka().producer();
 *   await producer.connect();
 *   await producer.send({ topic, messages: [{ key: 'k', value: 'v' }] });
 *   await producer.disconnect();
 *   const [m] = await collect(topic, 1);
 */
import { randomBytes } from 'node:crypto';
import type { LogLevel } from '@strom/core';
import { type IHeaders, Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { LOG_LEVELS } from '../../packages/core/src/logging/logger.js';

/** Bootstrap servers from `KAFKA_BROKERS` (set by the global setup, or by you). */
export function brokers(): string[] {
  const raw = process.env.KAFKA_BROKERS;
  if (!raw) {
    throw new Error('KAFKA_BROKERS is not set: run tests through vitest (global setup) or set it yourself');
  }
  return raw
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
}

/**
 * `prefix` + a random suffix, e.g. `rides-m3x9k2-4f1a9c`. Only characters legal in topic names
 * and group ids (`[a-zA-Z0-9._-]`); other characters in `prefix` become `-`.
 */
export function uniqueName(prefix = 'test'): string {
  const clean = prefix.replace(/[^a-zA-Z0-9._-]/g, '-').slice(0, 180);
  return `${clean}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * Log level of the apps integration tests build: `TEST_LOG_LEVEL` (e.g. `info`, to see why
 * a worker stalled) or silent. (Not `STROM_*`: those name App settings only.)
 */
export function testLogLevel(): LogLevel {
  const level = process.env.TEST_LOG_LEVEL;
  return LOG_LEVELS.find((known) => known === level) ?? 'silent';
}

/** A fresh consumer group id: `uniqueName(prefix)` with a `group` default prefix. */
export function uniqueGroup(prefix = 'group'): string {
  return uniqueName(prefix);
}

/**
 * A kafkajs client on {@link brokers}, silent by default (set `KAFKA_LOG_LEVEL=info|debug` to
 * see kafkajs logs). `overrides` win over the defaults, e.g. `{ brokers: clusterBootstrap }`.
 */
export function kafka(overrides: Partial<KafkaConfig> = {}): Kafka {
  const level = process.env.KAFKA_LOG_LEVEL?.toUpperCase();
  const levels: Record<string, logLevel> = {
    NOTHING: logLevel.NOTHING,
    ERROR: logLevel.ERROR,
    WARN: logLevel.WARN,
    INFO: logLevel.INFO,
    DEBUG: logLevel.DEBUG,
  };
  return new Kafka({
    clientId: uniqueName('strom-test'),
    brokers: overrides.brokers ?? brokers(),
    logLevel: (level ? levels[level] : undefined) ?? logLevel.NOTHING,
    ...overrides,
  });
}

export interface CreateTopicOptions {
  /** Default 1. */
  partitions?: number;
  /** Default: the broker's `default.replication.factor` (1 on the single broker). */
  replicationFactor?: number;
  /** Topic configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  configEntries?: Record<string, string>;
  /** Client to use; default `kafka()`. */
  client?: Kafka;
}

/**
 * Creates a topic, waits until every partition has a leader, and returns its name. Throws if it
 * exists. (kafkajs's own `waitForLeaders` gives up on UNKNOWN_TOPIC_OR_PARTITION, which a broker
 * that has not caught up yet answers on a 3-broker Kafka 3.9 cluster, so the wait is done here.)
 */
export async function createTopic(name: string, options: CreateTopicOptions = {}): Promise<string> {
  const partitions = options.partitions ?? 1;
  const admin = (options.client ?? kafka()).admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      waitForLeaders: false,
      topics: [
        {
          topic: name,
          numPartitions: partitions,
          replicationFactor: options.replicationFactor ?? -1,
          configEntries: Object.entries(options.configEntries ?? {}).map(([n, value]) => ({
            name: n,
            value,
          })),
        },
      ],
    });
    if (!created) throw new Error(`topic ${name} already exists`);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [name] });
        const parts = topics[0]?.partitions ?? [];
        if (parts.length === partitions && parts.every((p) => p.leader >= 0)) return name;
      } catch (err) {
        const type = (err as { type?: string }).type;
        if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw err;
      }
      if (Date.now() > deadline) throw new Error(`topic ${name}: partitions have no leader after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

/** The sum of a topic's high watermarks: how many records it ever got (a changelog: how many table updates). */
export async function topicEnd(topic: string): Promise<number> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** One consumed record, key and value decoded as UTF-8. */
export interface CollectedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  /** The value's bytes as they are (binary formats such as Avro). */
  valueBytes: Buffer | null;
  headers: IHeaders;
  timestamp: string;
}

export interface CollectOptions {
  /** Give up after this long and return what arrived so far. Default 30 000. */
  timeoutMs?: number;
  /** `read_committed` isolation (skip aborted transactions). Default true, as in kafkajs. */
  readCommitted?: boolean;
  /** Consumer group; default a fresh `uniqueGroup('collect')`. */
  groupId?: string;
  /** Client to use; default `kafka()`. */
  client?: Kafka;
}

/**
 * Reads `topic` from the beginning in a consumer group until `n` records arrived or `timeoutMs`
 * passed, and returns them in arrival order (per partition: offset order). Returns fewer than `n`
 * on timeout, so assert on the length. Offsets are not committed.
 */
export async function collect(
  topic: string,
  n: number,
  options: CollectOptions = {},
): Promise<CollectedMessage[]> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const consumer = (options.client ?? kafka()).consumer({
    groupId: options.groupId ?? uniqueGroup('collect'),
    readUncommitted: options.readCommitted === false,
    maxWaitTimeInMs: 250,
  });
  const out: CollectedMessage[] = [];
  let finish: () => void = () => undefined;
  const done = new Promise<void>((r) => {
    finish = r;
  });
  const timer = setTimeout(finish, timeoutMs);
  let crash: Error | undefined;
  consumer.on(consumer.events.CRASH, (e) => {
    if (e.payload.restart) return; // retriable: kafkajs restarts the consumer itself
    crash = e.payload.error;
    finish();
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    if (n > 0) {
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            if (out.length >= n) break;
            out.push({
              topic: batch.topic,
              partition: batch.partition,
              offset: m.offset,
              key: m.key ? m.key.toString('utf8') : null,
              value: m.value ? m.value.toString('utf8') : null,
              valueBytes: m.value ?? null,
              headers: m.headers ?? {},
              timestamp: m.timestamp,
            });
          }
          if (out.length >= n) finish();
        },
      });
      await done;
    }
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  if (crash) throw crash;
  return out;
}
