import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../packages/core/src/logging/logger.js';
import { groupMessagesPerPartition } from '../../packages/core/src/transport/group-messages-per-partition.js';
import { createKafkaJsClient } from '../../packages/core/src/transport/kafkajs-client.js';
import { partitionForKey } from '../../packages/core/src/transport/key-partition.js';
import type { OutRecord } from '../../packages/core/src/transport/types.js';
import { brokers, collect, createTopic, uniqueName } from '../support/kafka.js';

describe("Strom's kafkajs producer, grouping a request's records per partition itself", () => {
  it('writes a large request to the partitions its records name or their keys give, in order', async () => {
    // the loader replaced kafkajs' grouping before any other import loaded kafkajs
    const require = createRequire(import.meta.url);
    const grouping = require.cache[require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js')];
    expect(grouping?.exports).toBe(groupMessagesPerPartition);

    const partitions = 4;
    const topics = [
      await createTopic(uniqueName('producer-partitions-a'), { partitions }),
      await createTopic(uniqueName('producer-partitions-b'), { partitions }),
    ];
    // 6,000 records in one request: every third names its partition, the others have a key only
    const records: OutRecord[] = Array.from({ length: 6_000 }, (_, i) => ({
      topic: topics[i % 2]!,
      key: Buffer.from(`key-${i % 101}`),
      value: Buffer.from(String(i)),
      ...(i % 3 === 0 ? { partition: (i * 7) % partitions } : {}),
    }));
    const expected = records.map((r) => r.partition ?? partitionForKey(r.key!, partitions));

    const client = createKafkaJsClient(
      { brokers: brokers() },
      createLogger({ name: 'test', level: 'silent' }),
    );
    const producer = client.producer({ acks: -1, idempotent: true });
    await producer.connect();
    try {
      await producer.send(records);
    } finally {
      await producer.disconnect();
    }

    for (const topic of topics) {
      const sent = records.flatMap((r, i) => (r.topic === topic ? [i] : []));
      const got = await collect(topic, sent.length, { timeoutMs: 45_000 });
      expect(got).toHaveLength(sent.length);
      for (let p = 0; p < partitions; p++) {
        const onPartition = got.filter((m) => m.partition === p);
        // the records meant for p, in the order they were sent, at offsets 0..n-1
        expect(onPartition.map((m) => Number(m.value))).toEqual(sent.filter((i) => expected[i] === p));
        expect(onPartition.map((m) => Number(m.offset))).toEqual(onPartition.map((_, i) => i));
      }
    }
  });
});
