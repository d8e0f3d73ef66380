import { App, DEAD_LETTER_HEADERS, z } from '@strom/core';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers, collect, createTopic, testLogLevel, uniqueName } from '../support/kafka.js';
import { eventually, produceJson } from '../support/produce.js';

const Ride = z.object({ id: z.number().int(), total_amount: z.number() });

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

async function startWorker(app: App) {
  const worker = app.createWorker();
  await worker.start();
  stops.push(() => worker.stop());
  return worker;
}

function newApp() {
  return new App({
    id: uniqueName('worker-test'),
    broker: brokers(),
    logLevel: testLogLevel(),
    topicPartitions: 4,
  });
}

describe('worker on a real broker', () => {
  it('an agent sees every message of a 4-partition topic exactly once, in order per partition', async () => {
    const name = await createTopic(uniqueName('numbers'), { partitions: 4 });
    const total = 4000;
    await produceJson(
      name,
      Array.from({ length: total }, (_, id) => ({
        key: id % 17,
        value: { id, total_amount: id },
        partition: id % 4,
      })),
    );
    const app = newApp();
    const seen: Array<{ id: number; partition: number; offset: bigint }> = [];
    app.agent(app.topic(name, { value: Ride }), async (stream) => {
      for await (const e of stream.events())
        seen.push({ id: e.value.id, partition: e.partition, offset: BigInt(e.offset) });
    });
    await startWorker(app);
    expect(await eventually(() => seen.length >= total)).toBe(true);
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would show up now
    const ids = seen.map((s) => s.id);
    expect(ids.length).toBe(total);
    expect(new Set(ids).size).toBe(total);
    for (let p = 0; p < 4; p++) {
      const offsets = seen.filter((s) => s.partition === p).map((s) => s.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : 1)));
    }
  });

  it('sends invalid JSON and schema violations to the dead-letter topic and processes the records around them', async () => {
    const name = await createTopic(uniqueName('rides'), { partitions: 1 });
    await produceJson(name, [
      { value: { id: 1, total_amount: 5 } },
      { raw: '{"id": 2, "total_amount":' },
      { value: { id: 3, total_amount: 'lots' } },
      { value: { id: 4, total_amount: 7 } },
    ]);
    const app = newApp();
    const seen: number[] = [];
    const topic = app.topic(name, { value: Ride });
    app.agent(topic, async (stream) => {
      for await (const ride of stream) seen.push(ride.id);
    });
    await startWorker(app);
    expect(await eventually(() => seen.length >= 2)).toBe(true);
    expect(seen).toEqual([1, 4]);
    const dead = await collect(topic.deadLetterTopic, 2);
    expect(topic.deadLetterTopic).toBe(`${app.id}-${name}-dlq`);
    expect(dead.map((d) => d.value)).toEqual(['{"id": 2, "total_amount":', '{"id":3,"total_amount":"lots"}']);
    expect(String(dead[0]!.headers[DEAD_LETTER_HEADERS.reason])).toMatch(
      /value could not be decoded as json/,
    );
    expect(String(dead[1]!.headers[DEAD_LETTER_HEADERS.reason])).toMatch(
      /total_amount: Invalid input: expected number/,
    );
    expect(dead.map((d) => String(d.headers[DEAD_LETTER_HEADERS.offset]))).toEqual(['1', '2']);
    expect(String(dead[0]!.headers[DEAD_LETTER_HEADERS.topic])).toBe(name);
  });

  it('dead-letters the event an agent throws on and goes on with the next', async () => {
    const name = await createTopic(uniqueName('rides'), { partitions: 1 });
    await produceJson(
      name,
      [1, 2, 3].map((id) => ({ value: { id, total_amount: id } })),
    );
    const app = newApp();
    const seen: number[] = [];
    const topic = app.topic(name, { value: Ride });
    app.agent(topic, async (stream) => {
      for await (const ride of stream) {
        if (ride.id === 2) throw new Error('cannot handle ride 2');
        seen.push(ride.id);
      }
    });
    await startWorker(app);
    expect(await eventually(() => seen.length >= 2)).toBe(true);
    expect(seen).toEqual([1, 3]);
    const [dead] = await collect(topic.deadLetterTopic, 1);
    expect(String(dead!.headers[DEAD_LETTER_HEADERS.reason])).toMatch(/cannot handle ride 2/);
  });

  it('branching sends each event to exactly one branch topic, value unchanged', async () => {
    const name = await createTopic(uniqueName('rides'), { partitions: 2 });
    const total = 500;
    const rides = Array.from({ length: total }, (_, id) => ({ id, total_amount: (id * 7) % 80 }));
    await produceJson(
      name,
      rides.map((value) => ({ key: value.id, value })),
    );
    const app = newApp();
    const high = app.topic(uniqueName('high'), { value: Ride });
    const low = app.topic(uniqueName('low'), { value: Ride });
    app.agent(app.topic(name, { value: Ride }), async (stream) => {
      stream.branch({ high: { when: (r) => r.total_amount >= 40, to: high }, low: { to: low } });
    });
    await startWorker(app);
    const expectedHigh = rides.filter((r) => r.total_amount >= 40);
    const gotHigh = await collect(high.name, expectedHigh.length, { timeoutMs: 20_000 });
    const gotLow = await collect(low.name, total - expectedHigh.length, { timeoutMs: 20_000 });
    const highIds = gotHigh.map((m) => JSON.parse(m.value!).id as number);
    const lowIds = gotLow.map((m) => JSON.parse(m.value!).id as number);
    expect(new Set(highIds)).toEqual(new Set(expectedHigh.map((r) => r.id)));
    expect(highIds.length + lowIds.length).toBe(total);
    expect(highIds.filter((id) => lowIds.includes(id))).toEqual([]);
    expect(JSON.parse(gotHigh[0]!.value!)).toEqual(rides.find((r) => r.id === highIds[0]));
    expect(gotHigh[0]!.key).toBe(String(highIds[0]));
  });

  it('output far over the broker batch limit (1 MiB) arrives whole and in order: requests are split by bytes', async () => {
    const name = await createTopic(uniqueName('rides'), { partitions: 1 });
    const total = 1500;
    await produceJson(
      name,
      Array.from({ length: total }, (_, id) => ({ value: { id, total_amount: id } })),
    );
    const app = newApp();
    // 1,500 records of ~2 KB to one partition: 3 MB, more than one record batch may hold
    const padded = app.topic(uniqueName('padded'), {
      partitions: 1,
      value: z.object({ id: z.number(), pad: z.string() }),
    });
    app.agent(app.topic(name, { value: Ride }), async (stream) => {
      for await (const ride of stream) await padded.send({ id: ride.id, pad: 'x'.repeat(2000) });
    });
    const worker = await startWorker(app);
    const got = await collect(padded.name, total, { timeoutMs: 30_000 });
    expect(got.map((m) => JSON.parse(m.value!).id)).toEqual(Array.from({ length: total }, (_, id) => id));
    expect(worker.state).toBe('running');
  });
});
