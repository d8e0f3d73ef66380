import { describe, expect, it } from 'vitest';
import { isRecordsRefused, type RecordsRefusedError } from '../../packages/core/src/errors/errors.js';
import { createLogger } from '../../packages/core/src/logging/logger.js';
import { BufferedProducer } from '../../packages/core/src/producer/buffered-producer.js';
import { createKafkaJsClient } from '../../packages/core/src/transport/kafkajs-client.js';
import type { OutRecord } from '../../packages/core/src/transport/types.js';
import { brokers, collect, createTopic, kafka, uniqueName } from '../support/kafka.js';

/** What the broker holds per partition of `topic` (high watermarks). */
async function highs(topic: string): Promise<number[]> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.sort((a, b) => a.partition - b.partition).map((o) => Number(o.high));
  } finally {
    await admin.disconnect();
  }
}

async function refusal(send: Promise<unknown>): Promise<RecordsRefusedError> {
  const error = await send.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRecordsRefused(error)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

describe('the kafkajs transport on records the broker refuses', () => {
  const client = createKafkaJsClient({ brokers: brokers() }, createLogger({ name: 'test', level: 'silent' }));
  const record = (topic: string, partition: number, bytes: number): OutRecord => ({
    topic,
    partition,
    key: null,
    value: Buffer.alloc(bytes, 'x'),
  });

  it('reports a refusal, not a passing error, for too large a record; other partitions of the request are written', async () => {
    const topic = await createTopic(uniqueName('refused-large'), { partitions: 2 });
    const producer = client.producer({ acks: -1, idempotent: false });
    await producer.connect();
    try {
      const alone = await refusal(producer.send([record(topic, 0, 1_500_000)]));
      expect(alone.refused).toBeUndefined(); // the whole request: the producer finds the record
      expect(alone.message).toContain('MESSAGE_TOO_LARGE');
      expect(await highs(topic)).toEqual([0, 0]);
      // kafkajs reports the first partition error only: partition 1 was written all the same,
      // which is why the buffered producer sends such a request's partitions again one by one
      await refusal(producer.send([record(topic, 1, 10), record(topic, 0, 1_500_000)]));
      expect(await highs(topic)).toEqual([0, 1]);
    } finally {
      await producer.disconnect();
    }
  });

  it('names the records for a topic or partition that does not exist, and sends nothing', async () => {
    const topic = await createTopic(uniqueName('refused-missing'), { partitions: 2 });
    const missing = uniqueName('refused-nowhere');
    const producer = client.producer({ acks: -1, idempotent: false });
    await producer.connect();
    try {
      const good = record(topic, 0, 10);
      const noPartition = record(topic, 7, 10);
      const noTopic = record(missing, 0, 10);
      const error = await refusal(producer.send([good, noPartition, noTopic]));
      expect(error.refused?.map((r) => [r.record, r.reason])).toEqual([
        [noPartition, `topic ${topic} has no partition 7 (it has 2)`],
        [noTopic, `topic ${missing} does not exist`],
      ]);
      expect(await highs(topic)).toEqual([0, 0]);
      // the rest goes through
      await expect(refusal(producer.send([noTopic]))).resolves.toBeDefined();
      await producer.send([good]);
      expect(await highs(topic)).toEqual([1, 0]);
    } finally {
      await producer.disconnect();
    }
  }, 60_000);

  it('reads topic configs: max.message.bytes as set on the topic, or the broker default', async () => {
    const small = await createTopic(uniqueName('limits-small'), {
      configEntries: { 'max.message.bytes': '20000' },
    });
    const plain = await createTopic(uniqueName('limits-plain'));
    const admin = client.admin();
    await admin.connect();
    try {
      const configs = await admin.topicConfigs(
        [small, plain, uniqueName('limits-absent')],
        ['max.message.bytes'],
      );
      expect([...configs.keys()].sort()).toEqual([small, plain].sort());
      expect(configs.get(small)).toEqual({ 'max.message.bytes': '20000' });
      expect(Number(configs.get(plain)!['max.message.bytes'])).toBeGreaterThan(1_000_000);
    } finally {
      await admin.disconnect();
    }
  });

  it.each([{ idempotent: true }, { idempotent: false }])(
    'the buffered producer finds the refused record of a request by resending its parts (idempotent: $idempotent)',
    async ({ idempotent }) => {
      const topic = await createTopic(uniqueName('refused-split'), { partitions: 2 });
      const sender = client.producer({ acks: -1, idempotent });
      await sender.connect();
      const refused: string[] = [];
      // no topic limits: the broker has to refuse the record for the producer to know
      const producer = new BufferedProducer({
        client: sender,
        lingerMs: 5,
        maxBatchRecords: 1000,
        maxRequestBytes: 4_000_000,
        maxInflightRecords: 10_000,
        onRefused: (record, reason) => refused.push(`${record.partition}:${record.value!.length}: ${reason}`),
      });
      try {
        for (let i = 0; i < 40; i++) {
          producer.send({ topic, partition: i % 2, key: null, value: Buffer.from(`good ${i}`) });
          if (i === 21)
            producer.send({ topic, partition: 1, key: null, value: Buffer.alloc(1_500_000, 'x') });
        }
        await producer.flush();
      } finally {
        await sender.disconnect();
      }
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatch(/^1:1500000: the broker refused the records \(MESSAGE_TOO_LARGE\)/);
      const written = await collect(topic, 100, { timeoutMs: 5000 });
      const values = (p: number) => written.filter((m) => m.partition === p).map((m) => m.value);
      const goods = (p: number) => Array.from({ length: 20 }, (_, n) => `good ${2 * n + p}`);
      // partition 0 shared the refused request and was written then (kafkajs does not say so); its
      // records go again as a part of their own, which an idempotent producer's broker recognizes
      expect(values(0)).toEqual(idempotent ? goods(0) : [...goods(0), ...goods(0)]);
      // partition 1, where the refused record was, holds each good record once, in order
      expect(values(1)).toEqual(goods(1));
    },
    30_000,
  );
});
