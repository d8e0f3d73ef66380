/**
 * The harness's own Kafka work: topics, producing the input, watching and reading outputs.
 * None of it runs while a system is being timed, except the end-offset polling (one small
 * request every `pollMs`).
 */
import { randomBytes } from 'node:crypto';
import { type Admin, type Consumer, Kafka, logLevel, type Message, type Producer } from 'kafkajs';

export const PARTITIONS = 4;

/** `prefix` + time + random suffix: topics and groups of one run never meet another's. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function kafkaClient(brokers: string[]): Kafka {
  return new Kafka({ clientId: uniqueName('strom-bench'), brokers, logLevel: logLevel.NOTHING });
}

export interface TopicSpec {
  name: string;
  partitions?: number;
  /** e.g. `{ 'message.timestamp.type': 'LogAppendTime' }` */
  config?: Record<string, string>;
}

/** Record timestamps set by the broker when it appends: the latency clock of outputs. */
export const LOG_APPEND_TIME = { 'message.timestamp.type': 'LogAppendTime' };

export class BenchAdmin {
  /** Name prefixes of topics the bench created and has not deleted yet (for Ctrl-C). */
  readonly pending = new Set<string>();

  private constructor(readonly admin: Admin) {}

  static async connect(kafka: Kafka): Promise<BenchAdmin> {
    const admin = kafka.admin();
    await admin.connect();
    return new BenchAdmin(admin);
  }

  /** Creates topics; `deleteTopics` with the same names (or a prefix of them) forgets them again. */
  async createTopics(topics: TopicSpec[]): Promise<void> {
    for (const t of topics) this.pending.add(t.name);
    const created = await this.admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions ?? PARTITIONS,
        replicationFactor: 1,
        configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
    if (!created) throw new Error(`topics already exist: ${topics.map((t) => t.name).join(', ')}`);
    // a just-created topic can answer metadata requests before its leaders settle
    for (const t of topics) await this.endOffsets(t.name);
  }

  /** Deletes the named topics and every topic starting with one of `prefixes`; never throws. */
  async deleteTopics(names: string[], prefixes: string[] = []): Promise<void> {
    try {
      const existing = await this.admin.listTopics();
      for (const name of [...names, ...prefixes]) this.pending.delete(name);
      for (const name of this.pending)
        if (prefixes.some((p) => name.startsWith(p))) this.pending.delete(name);
      const doomed = existing.filter((t) => names.includes(t) || prefixes.some((p) => t.startsWith(p)));
      if (doomed.length > 0) await this.admin.deleteTopics({ topics: doomed, timeout: 30_000 });
    } catch (error) {
      console.error(`[bench] could not delete topics ${names.join(', ')}: ${String(error)}`);
    }
  }

  async deleteGroups(groups: string[]): Promise<void> {
    try {
      await this.admin.deleteGroups(groups);
    } catch {
      // a group that never committed does not exist: nothing to delete
    }
  }

  /** Sum of the end offsets (high watermarks) of a topic's partitions, and each of them. */
  async endOffsets(topic: string): Promise<{ total: number; partitions: Map<number, number> }> {
    for (let attempt = 0; ; attempt++) {
      try {
        const offsets = await this.admin.fetchTopicOffsets(topic);
        const partitions = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
        let total = 0;
        for (const high of partitions.values()) total += high;
        return { total, partitions };
      } catch (error) {
        if (attempt >= 50) throw error;
        await sleep(200);
      }
    }
  }

  async disconnect(): Promise<void> {
    await this.admin.disconnect();
  }
}

/** A producer for the harness: default partitioner, acks from all replicas. */
export async function connectProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
  await producer.connect();
  return producer;
}

/**
 * Sends `messages` (with explicit partitions) in requests of `batchSize`, `concurrency` requests
 * at a time, and resolves once all are acknowledged.
 */
export async function produceAll(
  producer: Producer,
  topic: string,
  messages: Iterable<Message>,
  options: { batchSize?: number; concurrency?: number } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 5000;
  const concurrency = options.concurrency ?? 3;
  const inflight = new Set<Promise<void>>();
  let batch: Message[] = [];
  let sent = 0;
  const flush = async () => {
    const messagesToSend = batch;
    batch = [];
    const request = producer.send({ topic, acks: -1, messages: messagesToSend }).then(() => {
      sent += messagesToSend.length;
    });
    const tracked = request.finally(() => inflight.delete(tracked));
    inflight.add(tracked);
    if (inflight.size >= concurrency) await Promise.race(inflight);
  };
  for (const m of messages) {
    batch.push(m);
    if (batch.length >= batchSize) await flush();
  }
  if (batch.length > 0) await flush();
  await Promise.all(inflight);
  return sent;
}

export interface OutputRecord {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Broker append time (the output topics use LogAppendTime), ms since the epoch. */
  timestamp: number;
}

/**
 * Reads a topic from the beginning in a throwaway group, handing every record to `onRecord`;
 * `waitFor(n)` resolves once n records were read. Started after a system's timed part ends.
 */
export class TopicReader {
  private seen = 0;
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  private crashed: Error | undefined;

  private constructor(
    private readonly consumer: Consumer,
    readonly groupId: string,
  ) {}

  static async start(kafka: Kafka, topic: string, onRecord: (r: OutputRecord) => void): Promise<TopicReader> {
    const groupId = uniqueName('strom-bench-reader');
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
    const reader = new TopicReader(consumer, groupId);
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) {
        reader.crashed = event.payload.error;
        reader.wake();
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: PARTITIONS,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          onRecord({
            partition: batch.partition,
            offset: Number(m.offset),
            key: m.key,
            value: m.value,
            timestamp: Number(m.timestamp),
          });
        }
        reader.seen += batch.messages.length;
        reader.wake();
      },
    });
    return reader;
  }

  get count(): number {
    return this.seen;
  }

  /** Resolves true once `n` records were read, false after `timeoutMs`. */
  async waitFor(n: number, timeoutMs: number): Promise<boolean> {
    if (this.crashed) throw this.crashed;
    if (this.seen >= n) return true;
    let timer: NodeJS.Timeout | undefined;
    const reached = await Promise.race([
      new Promise<boolean>((resolve) => this.waiters.push({ n, resolve: () => resolve(true) })),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (this.crashed) throw this.crashed;
    return reached;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }

  private wake(): void {
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (this.seen >= w.n || this.crashed) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
