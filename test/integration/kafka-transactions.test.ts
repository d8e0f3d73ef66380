import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { collect, createTopic, kafka, uniqueGroup, uniqueName } from '../support/kafka.js';

describe('kafkajs transactions on the real broker', () => {
  it('consume-transform-produce: transactional sends + sendOffsets commit output and input offsets together', async () => {
    const client = kafka();
    const input = await createTopic(uniqueName('txn-in'), { partitions: 2 });
    const output = await createTopic(uniqueName('txn-out'), { partitions: 2 });
    const groupId = uniqueGroup('txn');
    const total = 200;

    const plain = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await plain.connect();
    await plain.send({
      topic: input,
      messages: Array.from({ length: total }, (_, i) => ({ key: `k${i % 7}`, value: `${i}` })),
    });
    await plain.disconnect();

    const producer = client.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      transactionalId: uniqueName('txn-id'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const consumer = client.consumer({ groupId, maxWaitTimeInMs: 250 });
    await consumer.connect();
    await consumer.subscribe({ topic: input, fromBeginning: true });

    let processed = 0;
    let finish: () => void = () => undefined;
    const done = new Promise<void>((r) => {
      finish = r;
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        if (batch.messages.length === 0) return;
        const txn = await producer.transaction();
        try {
          await txn.send({
            topic: output,
            messages: batch.messages.map((m) => ({ key: m.key, value: `out-${m.value?.toString()}` })),
          });
          const last = batch.messages[batch.messages.length - 1]!;
          await txn.sendOffsets({
            consumerGroupId: groupId,
            topics: [
              {
                topic: input,
                partitions: [{ partition: batch.partition, offset: String(Number(last.offset) + 1) }],
              },
            ],
          });
          await txn.commit();
        } catch (err) {
          await txn.abort();
          throw err;
        }
        resolveOffset(batch.lastOffset());
        processed += batch.messages.length;
        if (processed >= total) finish();
      },
    });
    await done;
    await consumer.disconnect();
    await producer.disconnect();

    // input offsets were committed by the transactions (the consumer never committed itself)
    const admin = client.admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId, topics: [input] });
    const ends = await admin.fetchTopicOffsets(input);
    await admin.disconnect();
    const committedByPartition = Object.fromEntries(
      committed[0]!.partitions.map((p) => [p.partition, p.offset] as const),
    );
    for (const end of ends) expect(committedByPartition[end.partition]).toBe(end.high);

    // every transformed record is visible to a read_committed consumer
    const out = await collect(output, total, { readCommitted: true });
    expect(out.map((m) => m.value).sort()).toEqual(
      Array.from({ length: total }, (_, i) => `out-${i}`).sort(),
    );
  });

  it('an aborted transaction is invisible to read_committed, visible to read_uncommitted', async () => {
    const client = kafka();
    const topic = await createTopic(uniqueName('txn-abort'), { partitions: 1 });
    const producer = client.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      transactionalId: uniqueName('txn-id'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();

    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: 'aborted-1' }, { value: 'aborted-2' }] });
    await aborted.abort();

    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ value: 'committed-1' }, { value: 'committed-2' }] });
    await committed.commit();
    await producer.disconnect();

    const readCommitted = await collect(topic, 2, { readCommitted: true });
    expect(readCommitted.map((m) => m.value)).toEqual(['committed-1', 'committed-2']);
    // nothing else shows up for read_committed even when asking for more
    expect(await collect(topic, 3, { readCommitted: true, timeoutMs: 2_000 })).toHaveLength(2);

    // the aborted records are really in the log (not just never sent)
    const readUncommitted = await collect(topic, 4, { readCommitted: false });
    expect(readUncommitted.map((m) => m.value)).toEqual([
      'aborted-1',
      'aborted-2',
      'committed-1',
      'committed-2',
    ]);
  });
});
