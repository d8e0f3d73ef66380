import { describe, expect, it } from 'vitest';
import { isRecordsRefused, RecordsRefusedError } from '../errors/errors.js';
import type { OutRecord, ProducerClient } from '../transport/types.js';
import { BufferedProducer, RECORD_BATCH_OVERHEAD_BYTES, recordBytes } from './buffered-producer.js';

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

/**
 * A broker in miniature: each request's records are grouped per partition, a partition whose
 * batch holds a record `refuses` picks is refused whole, the other partitions are written (as a
 * real broker does), and the request fails with one error for all (as kafkajs reports it).
 */
function refusingBroker(refuses: (record: OutRecord) => boolean) {
  const written = new Map<number, string[]>();
  const requests: string[][] = [];
  const client: ProducerClient = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    send: async (records) => {
      requests.push(records.map((r) => String(r.value)));
      const batches = new Map<number, OutRecord[]>();
      for (const r of records) batches.set(r.partition!, [...(batches.get(r.partition!) ?? []), r]);
      let refused = false;
      for (const [partition, batch] of batches) {
        if (batch.some(refuses)) refused = true;
        else
          written.set(partition, [...(written.get(partition) ?? []), ...batch.map((r) => String(r.value))]);
      }
      if (refused) throw new RecordsRefusedError('the broker refused the records (MESSAGE_TOO_LARGE)');
      return new Map();
    },
  };
  return { client, written, requests };
}

const on = (partition: number, value: string, topic = 't'): OutRecord => ({
  topic,
  key: null,
  value: Buffer.from(value),
  partition,
});

describe('BufferedProducer with refused records', () => {
  const options = { lingerMs: 1, maxBatchRecords: 100, maxRequestBytes: 1_000_000, maxInflightRecords: 1000 };

  it('sends a refused request again in parts until the refused record is alone, and hands it over once', async () => {
    const broker = refusingBroker((r) => String(r.value) === 'bad');
    const refused: Array<{ value: string; reason: string }> = [];
    const producer = new BufferedProducer({
      ...options,
      client: broker.client,
      onRefused: (record, reason) => refused.push({ value: String(record.value), reason }),
    });
    const sent = [on(0, 'a1'), on(1, 'b1'), on(0, 'a2'), on(1, 'b2'), on(1, 'bad'), on(1, 'b3'), on(1, 'b4')];
    for (const r of sent) producer.send(r);
    await producer.flush();
    expect(refused).toEqual([{ value: 'bad', reason: 'the broker refused the records (MESSAGE_TOO_LARGE)' }]);
    // partition 0 was written with the refused request, and once more with its own part
    expect(broker.written.get(0)).toEqual(['a1', 'a2', 'a1', 'a2']);
    // partition 1 holds each good record once, in the order sent
    expect(broker.written.get(1)).toEqual(['b1', 'b2', 'b3', 'b4']);
    expect(broker.requests).toEqual([
      ['a1', 'b1', 'a2', 'b2', 'bad', 'b3', 'b4'],
      ['a1', 'a2'],
      ['b1', 'b2', 'bad', 'b3', 'b4'],
      ['b1', 'b2', 'bad'],
      ['b1', 'b2'],
      ['bad'],
      ['b3', 'b4'],
    ]);
    expect(producer.refused).toBe(1);
    expect(producer.pending).toBe(0);
  });

  it('flushes what onRefused sends (the dead letter) before flush resolves', async () => {
    const broker = refusingBroker((r) => String(r.value) === 'bad');
    const producer: BufferedProducer = new BufferedProducer({
      ...options,
      client: broker.client,
      onRefused: (record) => producer.send(on(9, `dead letter of ${String(record.value)}`, 'dlq')),
    });
    producer.send(on(0, 'bad'));
    producer.send(on(0, 'good'));
    await producer.flush();
    expect(broker.written.get(0)).toEqual(['good']);
    expect(broker.written.get(9)).toEqual(['dead letter of bad']);
    expect(producer.pending).toBe(0);
  });

  it('refuses, without sending them, records that cannot fit their topic or lack a key for a compacted one', async () => {
    const broker = refusingBroker(() => false);
    const refused: string[] = [];
    const topicLimits = new Map([
      [
        'small',
        {
          maxMessageBytes: RECORD_BATCH_OVERHEAD_BYTES + recordBytes(on(0, 'x'.repeat(100))),
          compacted: false,
        },
      ],
      ['compacted', { maxMessageBytes: 1_000_000, compacted: true }],
    ]);
    const producer = new BufferedProducer({
      ...options,
      client: broker.client,
      topicLimits,
      onRefused: (record, reason) => refused.push(`${String(record.value).slice(0, 5)}: ${reason}`),
    });
    producer.send(on(0, 'x'.repeat(101), 'small'));
    producer.send(on(0, 'fits', 'small'));
    producer.send({ topic: 'compacted', key: null, value: Buffer.from('nokey'), partition: 1 });
    producer.send({ topic: 'compacted', key: Buffer.from('k'), value: Buffer.from('keyed'), partition: 1 });
    await producer.flush();
    expect(refused).toEqual([
      `xxxxx: record of ${recordBytes(on(0, 'x'.repeat(101)))} bytes does not fit small, whose max.message.bytes is ${topicLimits.get('small')!.maxMessageBytes}`,
      'nokey: compacted is compacted and refuses records without a key',
    ]);
    expect(broker.requests).toEqual([['fits', 'keyed']]);
  });

  it("keeps each request under the smallest limit of its records' topics", async () => {
    const broker = refusingBroker(() => false);
    const size = recordBytes(on(0, 'r10'));
    const producer = new BufferedProducer({
      ...options,
      client: broker.client,
      topicLimits: new Map([
        ['small', { maxMessageBytes: RECORD_BATCH_OVERHEAD_BYTES + 2 * size, compacted: false }],
      ]),
      onRefused: () => expect.unreachable('nothing is refused'),
    });
    producer.send(on(0, 'r10', 'big'));
    producer.send(on(0, 'r11', 'big'));
    producer.send(on(0, 'r12', 'small'));
    producer.send(on(0, 'r13', 'small'));
    producer.send(on(0, 'r14', 'small'));
    await producer.flush();
    expect(broker.requests).toEqual([['r10', 'r11'], ['r12', 'r13'], ['r14']]);
  });

  it('hands over the records a refusal names, and sends the rest of the request again as it was', async () => {
    const requests: string[][] = [];
    let first = true;
    const client: ProducerClient = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async (records) => {
        requests.push(records.map((r) => String(r.value)));
        if (first) {
          first = false;
          const gone = records.filter((r) => r.topic === 'gone');
          throw new RecordsRefusedError('no such topic', {
            refused: gone.map((record) => ({ record, reason: 'topic gone does not exist' })),
          });
        }
        return new Map();
      },
    };
    const refused: string[] = [];
    const producer = new BufferedProducer({
      ...options,
      client,
      onRefused: (record, reason) => refused.push(`${String(record.value)}: ${reason}`),
    });
    for (const r of [on(0, 'a'), on(0, 'x', 'gone'), on(1, 'b'), on(0, 'y', 'gone')]) producer.send(r);
    await producer.flush();
    expect(refused).toEqual(['x: topic gone does not exist', 'y: topic gone does not exist']);
    expect(requests).toEqual([
      ['a', 'x', 'b', 'y'],
      ['a', 'b'],
    ]);
  });

  it('fails flush on other errors (a lost broker), refusal hook or not, and on refusals without a hook', async () => {
    const lost = manualClient();
    const withHook = new BufferedProducer({
      ...options,
      client: lost.client,
      onRefused: () => expect.unreachable('a lost broker refuses nothing'),
    });
    withHook.send(record(1));
    const flushed = withHook.flush();
    await tick();
    lost.requests[0]!.complete(new Error('Connection error: ECONNREFUSED'));
    await expect(flushed).rejects.toThrow('ECONNREFUSED');

    const broker = refusingBroker(() => true);
    const withoutHook = new BufferedProducer({ ...options, client: broker.client });
    withoutHook.send(record(2));
    await expect(withoutHook.flush()).rejects.toSatisfy(isRecordsRefused);
  });
});
