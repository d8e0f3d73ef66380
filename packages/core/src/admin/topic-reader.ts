import { ConfigError } from '../errors/errors.js';
import type { ChangelogReader, InboundMessage, KafkaClient, PartitionOffsets } from '../transport/types.js';

/** A record as {@link TopicReader} hands it out: key and value as bytes, headers as text. */
export interface TopicRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/** Options of `app.readTopic(...)`. */
export interface ReadTopicOptions {
  /**
   * `'end'` (default): start with the last `limit` records (10 without a limit), taken by offset
   * in each partition and handed out in timestamp order. `'beginning'`: from the first record of
   * each partition, in partition order.
   */
  from?: 'beginning' | 'end';
  /** At most this many records in all, then the read ends (a follow too). Default: no limit. */
  limit?: number;
  /** After the records already there, wait for new ones until `signal` aborts or `limit` is reached. */
  follow?: boolean;
  /** Ends a follow (and a read in progress). */
  signal?: AbortSignal;
}

export type RecordsHandler = (records: readonly TopicRecord[]) => void;

const DEFAULT_TAIL = 10;

/**
 * Reads a topic for people (`strom topic tail`): outside the app's consumer group, committed
 * records only, nothing committed. Built on the changelog reader, which reads chosen partitions
 * between two offsets and can follow a partition.
 */
export class TopicReader {
  constructor(
    private readonly options: { client: KafkaClient; groupId: string; maxBytesPerPartition: number },
  ) {}

  /** Hands the records to `onRecords` as they are read; resolves with how many it handed out. */
  async read(topic: string, options: ReadTopicOptions, onRecords: RecordsHandler): Promise<number> {
    const from = options.from ?? 'end';
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const offsets = await this.offsetsOf(topic);
    const reader = this.options.client.changelogReader({
      groupId: this.options.groupId,
      maxBytesPerPartition: this.options.maxBytesPerPartition,
    });
    let handed = 0;
    const hand = (records: TopicRecord[]) => {
      const some = records.slice(0, Math.max(0, limit - handed));
      handed += some.length;
      if (some.length > 0) onRecords(some);
    };
    try {
      if (limit <= 0 || options.signal?.aborted) return 0;
      await reader.start([topic]);
      if (from === 'end') hand(await this.lastRecords(reader, topic, offsets, options.limit ?? DEFAULT_TAIL));
      else await this.fromBeginning(reader, topic, offsets, () => limit - handed, hand);
      if (options.follow && handed < limit) {
        await this.follow(reader, topic, offsets, options.signal, () => handed >= limit, hand);
      }
      return handed;
    } finally {
      await reader.stop();
    }
  }

  private async offsetsOf(topic: string): Promise<PartitionOffsets[]> {
    const admin = this.options.client.admin();
    await admin.connect();
    try {
      if (!(await admin.listTopics()).includes(topic))
        throw new ConfigError(`no topic ${topic} on the broker`);
      return (await admin.topicOffsets(topic)).sort((a, b) => a.partition - b.partition);
    } finally {
      await admin.disconnect();
    }
  }

  /** The last `limit` offsets of each partition, merged by timestamp, the newest `limit` kept. */
  private async lastRecords(
    reader: ChangelogReader,
    topic: string,
    offsets: readonly PartitionOffsets[],
    limit: number,
  ): Promise<TopicRecord[]> {
    const records: TopicRecord[] = [];
    for (const { partition, low, high } of offsets) {
      const start = BigInt(high) - BigInt(limit);
      const from = start > BigInt(low) ? String(start) : low;
      await reader.read(topic, partition, from, high, (messages) => {
        for (const m of messages) records.push(toRecord(topic, partition, m));
      });
    }
    records.sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition);
    return records.slice(-limit);
  }

  /** Each partition from its first offset, in chunks no larger than what may still be handed out. */
  private async fromBeginning(
    reader: ChangelogReader,
    topic: string,
    offsets: readonly PartitionOffsets[],
    remaining: () => number,
    hand: (records: TopicRecord[]) => void,
  ): Promise<void> {
    for (const { partition, low, high } of offsets) {
      let from = BigInt(low);
      // an offset holds at most one record, so a chunk of `remaining` offsets never overshoots
      while (from < BigInt(high) && remaining() > 0) {
        const room = remaining();
        const until =
          Number.isFinite(room) && from + BigInt(room) < BigInt(high) ? from + BigInt(room) : BigInt(high);
        await reader.read(topic, partition, String(from), String(until), (messages) =>
          hand(messages.map((m) => toRecord(topic, partition, m))),
        );
        from = until;
      }
    }
  }

  /** Follows every partition from where the reads ended until aborted or `done()`. */
  private async follow(
    reader: ChangelogReader,
    topic: string,
    offsets: readonly PartitionOffsets[],
    signal: AbortSignal | undefined,
    done: () => boolean,
    hand: (records: TopicRecord[]) => void,
  ): Promise<void> {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    signal?.addEventListener('abort', () => finish(), { once: true });
    if (signal?.aborted) finish();
    const handles = offsets.map(({ partition, high }) =>
      reader.follow(topic, partition, high, (messages) => {
        hand(messages.map((m) => toRecord(topic, partition, m)));
        if (done()) finish();
      }),
    );
    await finished;
    await Promise.all(handles.map((h) => h.stop()));
  }
}

function toRecord(topic: string, partition: number, m: InboundMessage): TopicRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(m.headers)) {
    if (value !== undefined) headers[name] = typeof value === 'string' ? value : value.toString('utf8');
  }
  return {
    topic,
    partition,
    offset: m.offset,
    timestamp: Number(m.timestamp),
    key: m.key,
    value: m.value,
    headers,
  };
}
