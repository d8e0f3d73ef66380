import { describe, expect, it } from 'vitest';
import type { OutRecord, ProducerClient } from '../transport/types.js';
import { BufferedProducer, recordBytes } from './buffered-producer.js';

/** A client whose requests complete when the test says so, in any order it likes. */
function manualClient() {
  const requests: Array<{ records: OutRecord[]; complete: (error?: Error) => void }> = [];
  const client: ProducerClient = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    send: (records) =>
      new Promise<Map<string, bigint>>((resolve, reject) => {
        requests.push({ records, complete: (error) => (error ? reject(error) : resolve(new Map())) });
      }),
  };
  return { client, requests };
}

const record = (n: number): OutRecord => ({
  topic: 't',
  key: null,
  value: Buffer.from(String(n)),
  partition: 0,
});
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('BufferedProducer', () => {
  it('keeps one request in flight, so records reach the broker in the order they were sent', async () => {
    const { client, requests } = manualClient();
    const producer = new BufferedProducer({
      client,
      lingerMs: 1,
      maxBatchRecords: 100,
      maxRequestBytes: 1_000_000,
      maxInflightRecords: 1000,
    });
    producer.send(record(1));
    await tick();
    producer.send(record(2));
    producer.send(record(3));
    await tick();
    expect(requests).toHaveLength(1); // 2 and 3 wait for 1
    requests[0]!.complete();
    await tick();
    expect(requests.map((r) => r.records.map((x) => String(x.value)))).toEqual([['1'], ['2', '3']]);
    const flushed = producer.flush();
    requests[1]!.complete();
    await flushed;
    expect(producer.pending).toBe(0);
  });

  it('flush waits for every record queued before it and reports a failed request once', async () => {
    const { client, requests } = manualClient();
    const producer = new BufferedProducer({
      client,
      lingerMs: 50,
      maxBatchRecords: 100,
      maxRequestBytes: 1_000_000,
      maxInflightRecords: 1000,
    });
    producer.send(record(1));
    const flushed = producer.flush();
    await tick();
    requests[0]!.complete(new Error('broker said no'));
    await expect(flushed).rejects.toThrow('broker said no');
    producer.send(record(2));
    const again = producer.flush();
    await tick();
    requests[1]!.complete();
    await expect(again).resolves.toBeUndefined();
  });

  it('sends what queued meanwhile in requests of at most maxBatchRecords and maxRequestBytes, in order', async () => {
    const { client, requests } = manualClient();
    const size = recordBytes(record(10)); // every record from 10 to 99 has this size
    const producer = new BufferedProducer({
      client,
      lingerMs: 1,
      maxBatchRecords: 4,
      maxRequestBytes: 3 * size,
      maxInflightRecords: 1000,
    });
    producer.send(record(10));
    await tick();
    for (let n = 11; n < 21; n++) producer.send(record(n)); // 10 records wait for the first request
    expect(producer.pending).toBe(11);
    const sent: string[][] = [];
    while (sent.length < requests.length || producer.pending > 0) {
      const request = requests[sent.length]!;
      sent.push(request.records.map((x) => String(x.value)));
      request.complete();
      await tick();
    }
    // bytes allow 3 records per request (fewer than the 4 of maxBatchRecords)
    expect(sent).toEqual([['10'], ['11', '12', '13'], ['14', '15', '16'], ['17', '18', '19'], ['20']]);
  });

  it('a record larger than maxRequestBytes goes alone; records are never split or dropped', async () => {
    const { client, requests } = manualClient();
    const big: OutRecord = { topic: 't', key: null, value: Buffer.alloc(5000), partition: 0 };
    const producer = new BufferedProducer({
      client,
      lingerMs: 1,
      maxBatchRecords: 100,
      maxRequestBytes: 1024,
      maxInflightRecords: 1000,
    });
    producer.send(record(1));
    producer.send(big);
    producer.send(record(2));
    const flushed = producer.flush();
    for (let i = 0; i < 3; i++) {
      await tick();
      requests[i]!.complete();
    }
    await flushed;
    expect(requests.map((r) => r.records.map((x) => x.value!.length))).toEqual([[1], [5000], [1]]);
  });

  it('asks the caller to wait when too many records are unacknowledged', async () => {
    const { client, requests } = manualClient();
    const producer = new BufferedProducer({
      client,
      lingerMs: 50,
      maxBatchRecords: 100,
      maxRequestBytes: 1_000_000,
      maxInflightRecords: 2,
    });
    expect(producer.send(record(1))).toBeUndefined();
    expect(producer.send(record(2))).toBeUndefined();
    const wait = producer.send(record(3));
    expect(wait).toBeInstanceOf(Promise);
    await tick();
    requests[0]!.complete();
    await wait;
    expect(producer.pending).toBe(0);
  });
});
