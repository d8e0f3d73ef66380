import type { CodecSpec } from '../codecs/codecs.js';
import { ConfigError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { BufferedProducer, type RecordSender } from '../producer/buffered-producer.js';
import type { Table } from '../tables/table.js';
import { Topic, type TopicHost, type TopicOptions } from '../topics/topic.js';
import type { KafkaClient, ProducerClient } from '../transport/types.js';
import type { WebRoutes } from '../web/web-server.js';
import type { AppSettings } from './settings.js';

/**
 * Repartition topics keep every record until the app consumed and committed it, whatever its
 * timestamp: time retention would delete records stamped with old event times (a replay of 2020
 * data) before they were read. The worker purges what was committed (see RepartitionPurger);
 * small segments let the broker free the purged space sooner. As Kafka Streams does.
 */
const REPARTITION_TOPIC_CONFIG: Readonly<Record<string, string>> = {
  'cleanup.policy': 'delete',
  'retention.ms': '-1',
  'segment.bytes': String(50 * 1024 * 1024),
  'segment.ms': String(10 * 60_000),
};

/**
 * A foreign-key join's agent as the context keeps it: the Agent class takes the context, so the
 * context names agents by this shape only (no import back; the harness and worker know them whole).
 */
export interface JoinAgentRef {
  readonly name: string;
  readonly topics: ReadonlyArray<Topic<unknown, unknown>>;
}

/**
 * The parts of an app that topics, agents, workers and the test harness share: the topic
 * registry, the logger, and the slot for whoever currently sends records (a worker's
 * producer, the test harness, or a standalone producer for scripts).
 */
export class AppContext implements TopicHost {
  readonly appId: string;
  readonly defaults: TopicHost['defaults'];
  private readonly topics = new Map<string, Topic>();
  /** The app's tables, in declaration order. */
  readonly tables: Table<unknown, unknown>[] = [];
  /** Agents of foreign-key joins: the test harness runs them beside the agent it tests. */
  readonly joinAgents: JoinAgentRef[] = [];
  /** Routes the app adds to its workers' web servers (app.addWebRoutes). */
  readonly webRoutes: WebRoutes[] = [];
  /** Repartition topic name -> the topics whose partition count it copies. */
  private readonly derivedFrom = new Map<string, readonly Topic[]>();
  private readonly repartitionTopics = new Set<string>();
  private activeSender: RecordSender | undefined;
  private standalone:
    | { producer: BufferedProducer; client: ProducerClient; connected: Promise<void> }
    | undefined;

  constructor(
    readonly settings: AppSettings,
    readonly log: Logger,
    readonly client: () => KafkaClient,
  ) {
    this.appId = settings.id;
    this.defaults = {
      keyCodec: settings.keyCodec as CodecSpec,
      valueCodec: settings.valueCodec as CodecSpec,
      partitions: settings.topicPartitions,
      replicationFactor: settings.topicReplicationFactor,
    };
  }

  declare<V, K>(name: string, options: TopicOptions<V, K> & { internal?: boolean } = {}): Topic<V, K> {
    if (!name || /[^A-Za-z0-9._-]/.test(name)) {
      throw new ConfigError(`topic "${name}": use letters, digits, ".", "_" and "-"`);
    }
    if (this.topics.has(name))
      throw new ConfigError(`topic "${name}" is declared twice; declare it once and share it`);
    const topic = new Topic<V, K>(this, name, options);
    this.topics.set(name, topic as Topic);
    return topic;
  }

  /** The declared topic, or a new one with the app's defaults. */
  named(name: string): Topic {
    return this.topics.get(name) ?? this.declare(name);
  }

  repartition(name: string, sources: readonly Topic[]): Topic {
    const topicName = `${this.appId}-${name}-repartition`;
    const existing = this.topics.get(topicName);
    if (existing) return existing;
    const topic = this.declare(topicName, {
      internal: true,
      keyCodec: 'json',
      valueCodec: 'json',
      config: { ...REPARTITION_TOPIC_CONFIG },
    });
    this.derivedFrom.set(topicName, sources);
    this.repartitionTopics.add(topicName);
    return topic;
  }

  /** True for the topics `groupBy` writes and reads (`<appId>-<name>-repartition`). */
  isRepartition(topic: Topic): boolean {
    return this.repartitionTopics.has(topic.name);
  }

  /** Makes `topic` take its partition count from `sources` (resolved when topics are set up). */
  deriveFrom(topic: Topic, sources: readonly Topic[]): void {
    this.derivedFrom.set(topic.name, sources);
  }

  /** The topics whose partition count `topic` copies, if it is derived. */
  sourcesOf(topic: Topic): readonly Topic[] | undefined {
    return this.derivedFrom.get(topic.name);
  }

  allTopics(): Topic[] {
    return [...this.topics.values()];
  }

  /** Who sends records now: the running worker or harness, else a producer of our own. */
  sender(): RecordSender {
    return this.activeSender ?? this.standaloneSender();
  }

  /** Installs the sender of a worker or test harness; returns a function that uninstalls it. */
  useSender(sender: RecordSender): () => void {
    const previous = this.activeSender;
    this.activeSender = sender;
    return () => {
      this.activeSender = previous;
    };
  }

  /** Flushes and closes the producer used outside a worker, if one was started. */
  async closeStandalone(): Promise<void> {
    const standalone = this.standalone;
    if (!standalone) return;
    this.standalone = undefined;
    try {
      await standalone.producer.flush();
    } finally {
      await standalone.connected.then(() => standalone.client.disconnect()).catch(() => undefined);
    }
  }

  private standaloneSender(): BufferedProducer {
    if (this.standalone) return this.standalone.producer;
    const client = this.client().producer({ acks: this.settings.acks, idempotent: true });
    const connected = client.connect();
    // the first send waits for the connection; later ones find it resolved
    const lazyClient: ProducerClient = {
      connect: () => connected,
      disconnect: () => client.disconnect(),
      send: async (records) => {
        await connected;
        return client.send(records);
      },
    };
    connected.catch(() => undefined);
    const producer = new BufferedProducer({
      client: lazyClient,
      lingerMs: this.settings.producerLingerMs,
      maxBatchRecords: this.settings.producerMaxBatchRecords,
      maxRequestBytes: this.settings.producerMaxRequestBytes,
      maxInflightRecords: this.settings.producerMaxInflightRecords,
    });
    this.standalone = { producer, client, connected };
    return producer;
  }
}
