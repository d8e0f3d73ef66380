import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { type CollectedMessage, collect, createTopic, kafka, uniqueName } from '../support/kafka.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('log compaction on the real broker', () => {
  it('keeps only the last value per key', async () => {
    // Compaction knobs for tests (Kafka 4.x: segment.bytes must be >= 1 MiB, so roll by time).
    // The active segment is never cleaned: write, wait > segment.ms, then append one more record.
    const topic = await createTopic(uniqueName('compacted'), {
      partitions: 1,
      configEntries: {
        'cleanup.policy': 'compact',
        'segment.ms': '100',
        'min.cleanable.dirty.ratio': '0.01',
        'min.compaction.lag.ms': '0',
        'delete.retention.ms': '100',
      },
    });
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    const rounds = 5;

    const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let r = 1; r <= rounds; r++) {
      await producer.send({ topic, messages: keys.map((key) => ({ key, value: `${key}-v${r}` })) });
    }
    await sleep(300);
    await producer.send({ topic, messages: [{ key: 'roll', value: 'roll' }] }); // rolls the segment
    await producer.disconnect();

    // what must survive: the last value of each key, then the segment-rolling record
    const expected = [...keys.map((key) => `${key}=${key}-v${rounds}`), 'roll=roll'];
    const asText = (ms: CollectedMessage[]) => ms.map((m) => `${m.key}=${m.value}`);

    // the cleaner wakes every log.cleaner.backoff.ms (1 s here); poll until it has run
    let got: string[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      got = asText(await collect(topic, expected.length, { timeoutMs: 5_000 }));
      if (got.join() === expected.join()) break;
      await sleep(500);
    }
    expect(got).toEqual(expected);
    // and nothing else is left: asking for more returns only the survivors
    const all = await collect(topic, keys.length * rounds + 1, { timeoutMs: 2_000 });
    expect(asText(all)).toEqual(expected);
  });
});
