import type { Logger } from '../logging/logger.js';
import type { BufferedProducer, RecordSender } from '../producer/buffered-producer.js';
import { currentEvent } from '../streams/current-event.js';
import type {
  Assignment,
  OutRecord,
  ProducerClient,
  TransactionalProducerClient,
} from '../transport/types.js';

export interface PartitionTransactionsOptions {
  appId: string;
  /** The consumer group whose offsets the transactions commit. */
  groupId: string;
  transactionalProducer: (transactionalId: string) => TransactionalProducerClient;
  /** Batches records for a client, with the app's producer settings. */
  buffered: (client: ProducerClient) => BufferedProducer;
  /** For records sent outside the processing of an event (timers, scripts): not in a transaction. */
  outside: RecordSender;
  log: Logger;
}

interface PartitionTransaction {
  client: TransactionalProducerClient;
  producer: BufferedProducer;
  /** Connected: the previous owner's producer is fenced and its open transaction aborted. */
  ready: Promise<void>;
}

/**
 * Exactly-once processing: one transactional producer per assigned input partition, with the
 * stable id `<appId>-<topic>-<partition>`. kafkajs has no KIP-447 (a group generation in the
 * offset commit), so fencing works as in Kafka Streams' first exactly-once mode: the worker that
 * takes a partition over connects a producer with the same id, which fences the previous owner
 * and aborts its open transaction. Every record caused by an event of the partition (sink and
 * `through` records, repartition copies, changelog records, dead letters) goes into the
 * partition's open transaction, which the commit routine closes together with the source offset.
 */
export class PartitionTransactions implements RecordSender {
  private readonly open = new Map<string, PartitionTransaction>();
  private readonly log: Logger;

  constructor(private readonly options: PartitionTransactionsOptions) {
    this.log = options.log.child({ component: 'transactions' });
  }

  /** A new assignment: producers for partitions gained (fencing their previous owner), closed for those lost. */
  assign(assignment: readonly Assignment[]): void {
    const wanted = new Set<string>();
    for (const { topic, partitions } of assignment) for (const p of partitions) wanted.add(idOf(topic, p));
    for (const [id, tx] of this.open) {
      if (wanted.has(id)) continue;
      this.open.delete(id);
      void this.closeOne(id, tx);
    }
    for (const id of wanted) {
      if (this.open.has(id)) continue;
      const client = this.options.transactionalProducer(`${this.options.appId}-${id.replace(':', '-')}`);
      const ready = client.connect();
      ready.catch(() => undefined); // awaited through ready(), which reports it
      this.open.set(id, { client, producer: this.options.buffered(client), ready });
    }
  }

  /** Resolves once the partition's producer is connected (and its previous owner fenced). */
  ready(topic: string, partition: number): Promise<void> {
    return this.open.get(idOf(topic, partition))?.ready ?? Promise.resolve();
  }

  /**
   * Into the open transaction of the partition whose event caused the record (the record's
   * origin, else the event being processed); records sent outside events go outside.
   */
  send(record: OutRecord): void | Promise<void> {
    const origin = record.origin ?? currentEvent();
    const tx = origin === undefined ? undefined : this.open.get(idOf(origin.topic, origin.partition));
    return (tx?.producer ?? this.options.outside).send(record);
  }

  /** Sends everything queued (into the open transactions, which stay open) and outside. */
  async flush(): Promise<void> {
    await Promise.all([...this.open.values()].map((tx) => tx.producer.flush()));
    await this.options.outside.flush();
  }

  /**
   * Step 1: send the partition's queued records into its transaction.
   * Step 2: add `offset` (the last processed) + 1 for the group, and commit the transaction.
   */
  async commit(topic: string, partition: number, offset: string): Promise<void> {
    const tx = this.open.get(idOf(topic, partition));
    if (tx === undefined) throw new Error(`no transactional producer for ${topic}[${partition}]`);
    await tx.ready;
    await tx.producer.flush();
    await tx.client.commit({
      groupId: this.options.groupId,
      topic,
      partition,
      offset: String(BigInt(offset) + 1n),
    });
  }

  /** The last acknowledged offset this worker's transactions wrote to `topic`/`partition`. */
  ackedOffset(topic: string, partition: number): bigint | undefined {
    let last: bigint | undefined;
    for (const tx of this.open.values()) {
      const acked = tx.producer.ackedOffset(topic, partition);
      if (acked !== undefined && (last === undefined || acked > last)) last = acked;
    }
    return last;
  }

  /** Aborts what is open (nothing of it was committed) and disconnects every producer. */
  async close(): Promise<void> {
    const all = [...this.open];
    this.open.clear();
    await Promise.all(all.map(([id, tx]) => this.closeOne(id, tx)));
  }

  private async closeOne(id: string, tx: PartitionTransaction): Promise<void> {
    try {
      await tx.ready;
      await tx.client.abort();
    } catch (error) {
      this.log.debug({ err: error, partition: id }, 'closing a partition transaction failed');
    } finally {
      await tx.client.disconnect().catch(() => undefined);
    }
  }
}

function idOf(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}
