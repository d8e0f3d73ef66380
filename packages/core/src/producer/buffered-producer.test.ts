import { describe, expect, it } from 'vitest';
import type { OutRecord, ProducerClient } from '../transport/types.js';
import { BufferedProducer } from './buffered-producer.js';

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

  it('asks the caller to wait when too many records are unacknowledged', async () => {
    const { client, requests } = manualClient();
    const producer = new BufferedProducer({
      client,
      lingerMs: 50,
      maxBatchRecords: 100,
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
