import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { collect, createTopic, kafka, uniqueName } from '../support/kafka.js';

describe('kafkajs produce + consume in a group on the real broker', () => {
  it('reads back 10,000 messages, all present and in order per partition', async () => {
    const total = 10_000;
    const partitions = 4;
    const topic = await createTopic(uniqueName('produce-consume'), { partitions });

    const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    // 10 sequential batches of 1,000; the key spreads messages over the partitions and the value
    // carries the global sequence number, so per-partition order must follow the sequence
    for (let start = 0; start < total; start += 1_000) {
      const messages = Array.from({ length: 1_000 }, (_, i) => ({
        key: `key-${(start + i) % 97}`,
        value: String(start + i),
      }));
      await producer.send({ topic, acks: -1, messages });
    }
    await producer.disconnect();

    const got = await collect(topic, total, { timeoutMs: 45_000 });
    expect(got).toHaveLength(total);

    const seen = new Set(got.map((m) => Number(m.value)));
    expect(seen.size).toBe(total);
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(total - 1);

    const byPartition = new Map<number, { offset: number; seq: number }[]>();
    for (const m of got) {
      const list = byPartition.get(m.partition) ?? [];
      list.push({ offset: Number(m.offset), seq: Number(m.value) });
      byPartition.set(m.partition, list);
    }
    expect(byPartition.size).toBe(partitions); // 97 keys land on every partition
    for (const list of byPartition.values()) {
      // offsets 0..n-1 without gaps, and the sequence strictly increasing in offset order
      expect(list.map((x) => x.offset)).toEqual(list.map((_, i) => i));
      for (let i = 1; i < list.length; i++) expect(list[i]!.seq).toBeGreaterThan(list[i - 1]!.seq);
    }
  });
});
