/**
 * Reads a topic to its end and keeps the committed records only, deciding each transactional
 * record by its producer's next control marker (commit or abort) in the partition — not by
 * kafkajs' read_committed filter. kafkajs 2.2.4 (consumer/filterAbortedMessages.js) activates
 * at most one aborted transaction per message it looks at, so when a fetch starts past the first
 * offsets of several aborted transactions, records of all but the first get through: a fault test
 * reading the output of an exactly-once app after ten kill -9 counted 16,260 "duplicates" that
 * were records of aborted transactions.
 */
import type { Kafka } from 'kafkajs';
import { uniqueGroup } from '../../support/kafka.js';

interface RawRecord {
  offset: number;
  producerId: string;
  inTransaction: boolean;
  /** For a control record: 0 abort, 1 commit. */
  control: number | undefined;
  value: Buffer | null;
}

/** kafkajs' decoded record, with the fields it keeps but does not type. */
interface KafkaJsRawMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  isControlRecord: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

/** The committed values of `topic`, partition by partition in offset order. */
export async function readCommittedValues(
  client: Kafka,
  topic: string,
  timeoutMs = 120_000,
): Promise<Buffer[]> {
  const admin = client.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map(ends.filter((e) => Number(e.high) > 0).map((e) => [e.partition, Number(e.high)]));
  const raw = new Map<number, RawRecord[]>();
  if (remaining.size > 0) {
    // read uncommitted: every record and marker, decided below
    const consumer = client.consumer({
      groupId: uniqueGroup('committed'),
      readUncommitted: true,
      maxWaitTimeInMs: 200,
    });
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const timer = setTimeout(finish, timeoutMs);
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const list = raw.get(batch.partition) ?? [];
          raw.set(batch.partition, list);
          const messages = (batch as unknown as { rawMessages: KafkaJsRawMessage[] }).rawMessages;
          for (const m of messages) {
            const offset = Number(m.offset);
            if (list.length > 0 && offset <= list[list.length - 1]!.offset) continue;
            list.push({
              offset,
              producerId: m.batchContext.producerId,
              inTransaction: m.batchContext.inTransaction,
              control: m.isControlRecord && m.key ? Buffer.from(m.key).readInt16BE(2) : undefined,
              value: m.value,
            });
          }
          const last = list.length > 0 ? list[list.length - 1]!.offset : -1;
          if (last + 1 >= (remaining.get(batch.partition) ?? 0)) remaining.delete(batch.partition);
          if (remaining.size === 0) finish();
        },
      });
      await finished;
    } finally {
      clearTimeout(timer);
      await consumer.disconnect();
    }
    if (remaining.size > 0)
      throw new Error(
        `${topic}: partitions ${[...remaining.keys()]} not read to their end in ${timeoutMs} ms`,
      );
  }
  const values: Buffer[] = [];
  for (const list of raw.values()) {
    // backwards: the next marker of each producer decides its records before it
    const nextMarker = new Map<string, number>();
    const committed: boolean[] = new Array(list.length);
    for (let i = list.length - 1; i >= 0; i--) {
      const r = list[i]!;
      if (r.control !== undefined) nextMarker.set(r.producerId, r.control);
      else committed[i] = !r.inTransaction || nextMarker.get(r.producerId) === 1;
    }
    list.forEach((r, i) => {
      if (committed[i] && r.value !== null) values.push(r.value);
    });
  }
  return values;
}
