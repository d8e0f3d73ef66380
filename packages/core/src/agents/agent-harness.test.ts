import { describe, expect, it } from 'vitest';
import { App, z } from '../index.js';
import { testAgent } from '../testing/index.js';

const Ride = z.object({ vendorId: z.number().int(), total_amount: z.number() });

function makeApp() {
  return new App({ id: `test-${Math.random().toString(36).slice(2)}`, logLevel: 'silent' });
}

describe('agents on the in-memory harness', () => {
  it('gives agent code typed values and records what a generator yields to its sink', async () => {
    const app = makeApp();
    const rides = app.topic('rides', { value: Ride });
    const totals = app.topic<number>('totals');
    const agent = app.agent(
      rides,
      async function* (stream) {
        for await (const ride of stream) yield ride.total_amount * 2;
      },
      { sink: [totals] },
    );
    const harness = await testAgent(agent);
    await harness.send({ vendorId: 1, total_amount: 10 }, { key: { vendorId: 1 } });
    await harness.send({ vendorId: 2, total_amount: 2.5 });
    expect(harness.yielded).toEqual([20, 5]);
    expect(harness.sentTo(totals)).toEqual([20, 5]);
    expect(harness.sent[0]?.key).toEqual({ vendorId: 1 });
    await harness.stop();
  });

  it('dead-letters invalid JSON and schema violations, and keeps processing the good records', async () => {
    const app = makeApp();
    const rides = app.topic('rides', { value: Ride });
    const seen: number[] = [];
    const agent = app.agent(rides, async (stream) => {
      for await (const ride of stream) seen.push(ride.vendorId);
    });
    const harness = await testAgent(agent);
    await harness.send({ vendorId: 1, total_amount: 1 });
    await harness.sendBytes('{not json');
    await harness.sendBytes(JSON.stringify({ vendorId: 'x', total_amount: 1 }));
    await harness.send({ vendorId: 2, total_amount: 1 });
    expect(seen).toEqual([1, 2]);
    expect(harness.deadLetters.map((d) => d.reason)).toEqual([
      expect.stringContaining('value could not be decoded as json'),
      expect.stringContaining('vendorId'),
    ]);
    await harness.stop();
  });

  it('dead-letters the event an agent throws on and restarts the agent for the next one', async () => {
    const app = makeApp();
    const numbers = app.topic<number>('numbers');
    const seen: number[] = [];
    const agent = app.agent(numbers, async (stream) => {
      for await (const n of stream) {
        if (n === 13) throw new Error('unlucky');
        seen.push(n);
      }
    });
    const harness = await testAgent(agent);
    for (const n of [1, 13, 2]) await harness.send(n);
    expect(seen).toEqual([1, 2]);
    expect(harness.deadLetters).toEqual([
      expect.objectContaining({ topic: 'numbers', offset: '1', reason: expect.stringContaining('unlucky') }),
    ]);
    await harness.stop();
  });

  it('stops the run under onError: stop', async () => {
    const app = makeApp();
    const numbers = app.topic<number>('numbers');
    const agent = app.agent(
      numbers,
      async (stream) => {
        for await (const n of stream) if (n < 0) throw new Error('negative');
      },
      { onError: 'stop' },
    );
    const harness = await testAgent(agent);
    await harness.send(1);
    await expect(harness.send(-1)).rejects.toThrow('negative');
    expect(harness.deadLetters).toEqual([]);
  });

  it('runs filter, map, enumerate, items and events in order', async () => {
    const app = makeApp();
    const numbers = app.topic<number, string>('numbers');
    const out: unknown[] = [];
    const agent = app.agent(numbers, async (stream) => {
      const evens = stream.filter((n) => n % 2 === 0).map(async (n) => n * 10);
      for await (const [i, event] of evens.events().enumerate())
        out.push([i, event.key, event.value, event.offset]);
    });
    const harness = await testAgent(agent);
    for (const n of [1, 2, 3, 4]) await harness.send(n, { key: `k${n}` });
    expect(out).toEqual([
      [0, 'k2', 20, '1'],
      [1, 'k4', 40, '3'],
    ]);
    await harness.stop();
  });

  it('groupBy re-keys through the repartition topic and continues from it', async () => {
    const app = makeApp();
    const rides = app.topic('rides', { value: Ride });
    const keys: unknown[] = [];
    const agent = app.agent(rides, async (stream) => {
      for await (const [key, ride] of stream.groupBy((r) => r.vendorId, { name: 'vendorId' }).items()) {
        keys.push([key, ride.total_amount]);
      }
    });
    const harness = await testAgent(agent, { partitions: 4 });
    await harness.send({ vendorId: 7, total_amount: 1 });
    await harness.send({ vendorId: 8, total_amount: 2 });
    expect(keys).toEqual([
      [7, 1],
      [8, 2],
    ]);
    const repartition = harness.sent.filter((r) => r.topic === `${app.id}-vendorId-repartition`);
    expect(repartition.map((r) => r.key)).toEqual([7, 8]);
    await harness.stop();
  });

  it('branches each event to exactly one branch, topics and sub-streams alike', async () => {
    const app = makeApp();
    const rides = app.topic('rides', { value: Ride });
    const high = app.topic<z.infer<typeof Ride>>('high');
    const mid: number[] = [];
    const agent = app.agent(rides, async (stream) => {
      const { mid: midStream, low } = stream.branch({
        high: { when: (r) => r.total_amount >= 40, to: high },
        mid: { when: (r) => r.total_amount >= 20 },
        low: {},
      });
      await Promise.all([
        (async () => {
          for await (const r of midStream) mid.push(r.total_amount);
        })(),
        low.echo('low').drain(),
      ]);
    });
    const harness = await testAgent(agent);
    for (const total of [50, 25, 5, 40, 19.99]) await harness.send({ vendorId: 1, total_amount: total });
    expect(harness.sentTo<{ total_amount: number }>(high).map((r) => r.total_amount)).toEqual([50, 40]);
    expect(mid).toEqual([25]);
    expect(harness.sentTo<{ total_amount: number }>('low').map((r) => r.total_amount)).toEqual([5, 19.99]);
    await harness.stop();
  });

  it('take batches values, yielding a short batch after withinMs', async () => {
    const app = makeApp();
    const numbers = app.topic<number>('numbers');
    const batches: number[][] = [];
    const agent = app.agent(numbers, async (stream) => {
      for await (const batch of stream.take(3, { withinMs: 50 })) batches.push(batch);
    });
    const harness = await testAgent(agent);
    const sends = [1, 2, 3, 4].map((n) => harness.sendBytes(JSON.stringify(n)));
    await Promise.all(sends);
    expect(batches).toEqual([[1, 2, 3], [4]]);
    await harness.stop();
  });

  it('stops on a branching without exactly one default branch at the end, instead of restarting', async () => {
    const app = makeApp();
    const numbers = app.topic<number>('numbers');
    const agent = app.agent(numbers, async (stream) => {
      stream.branch({ big: { when: (n) => n > 1 }, small: { when: (n) => n <= 1 } });
    });
    const harness = await testAgent(agent);
    await expect(harness.send(1)).rejects.toThrow('exactly one default branch');
  });
});

describe('tables on the in-memory harness', () => {
  it('counts per key through groupBy, writes the changelog on the event partition, reads back', async () => {
    const app = makeApp();
    const rides = app.topic('rides', { value: Ride });
    const counts = app.table<number, number>('vendor_rides', { default: () => 0 });
    const agent = app.agent(rides, async (stream) => {
      for await (const ride of stream.groupBy((r) => r.vendorId, { name: 'vendorId' })) {
        await counts.update(ride.vendorId, (n) => n + 1);
      }
    });
    const harness = await testAgent(agent, { partitions: 2 });
    for (const vendorId of [1, 2, 2, 1, 2]) await harness.send({ vendorId, total_amount: 1 });
    expect(await counts.toObject()).toEqual({ '1': 2, '2': 3 });
    const changelog = harness.sent.filter((r) => r.topic === `${app.id}-vendor_rides-changelog`);
    expect(changelog.map((r) => [r.key, r.value])).toEqual([
      [1, 1],
      [2, 1],
      [2, 2],
      [1, 2],
      [2, 3],
    ]);
    // each key's changelog records sit on the partition its repartitioned events came from
    const repartition = harness.sent.filter((r) => r.topic.endsWith('-repartition'));
    expect(new Set(changelog.filter((r) => r.key === 1).map((r) => r.partition)).size).toBe(1);
    expect(repartition).toHaveLength(5);
    await harness.stop();
  });

  it('a table used per take() batch: refused (the run stops, says why) when the batch spans partitions', async () => {
    const setup = () => {
      const app = makeApp();
      const numbers = app.topic<number, string>('numbers');
      const sums = app.table<string, number>('sums', { default: () => 0 });
      const agent = app.agent(numbers, async (stream) => {
        for await (const batch of stream.take(2, { withinMs: 60_000 })) {
          await sums.update('all', (n) => n + batch.reduce((a, b) => a + b, 0));
        }
      });
      return { agent, sums };
    };
    // a batch of partitions 0 and 1 has no one changelog partition: a code error, like a bad branch()
    const mixed = await testAgent(setup().agent, { partitions: 2 });
    await expect(
      Promise.all([mixed.send(1, { partition: 0 }), mixed.send(2, { partition: 1 })]),
    ).rejects.toThrow('sums: used inside take() on a batch of partitions 0, 1');
    expect(mixed.deadLetters).toEqual([]); // nothing is committed or dropped: the worker stops

    const { agent, sums } = setup();
    const single = await testAgent(agent, { partitions: 2 });
    await Promise.all([single.send(3, { partition: 1 }), single.send(4, { partition: 1 })]);
    expect(await sums.get('all')).toBe(7);
    await single.stop();
  });

  it('delete writes a tombstone; writes outside agent code are refused', async () => {
    const app = makeApp();
    const numbers = app.topic<number, string>('numbers');
    const last = app.table<string, number>('last');
    const agent = app.agent(numbers, async (stream) => {
      for await (const e of stream.events()) {
        if (e.value < 0) last.delete(e.key);
        else last.set(e.key, e.value);
      }
    });
    const harness = await testAgent(agent);
    await harness.send(5, { key: 'a' });
    await harness.send(7, { key: 'b' });
    await harness.send(-1, { key: 'a' });
    expect(await last.toObject()).toEqual({ b: 7 });
    expect(await last.get('a')).toBeUndefined();
    expect(harness.sent.filter((r) => r.topic.endsWith('-last-changelog')).map((r) => r.value)).toEqual([
      5,
      7,
      null,
    ]);
    expect(() => last.set('c', 1)).toThrow(/write it from agent code/);
    await harness.stop();
  });
});
