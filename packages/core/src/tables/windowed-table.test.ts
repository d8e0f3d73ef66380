import { describe, expect, expectTypeOf, it } from 'vitest';
import { App, type ClosedWindow, z } from '../index.js';
import { testAgent } from '../testing/index.js';
import { count, mean } from '../windows/index.js';

const Ride = z.object({ vendorId: z.number().int(), at: z.number() });
type Ride = z.infer<typeof Ride>;

function setup(options: { graceMs?: number; expiresMs?: number; hopping?: boolean }) {
  const app = new App({ id: `w-${Math.random().toString(36).slice(2)}`, logLevel: 'silent' });
  const rides = app.topic('rides', { value: Ride });
  const closed: Array<[number, number, number, number]> = [];
  const late: number[] = [];
  const base = app.table<number, number>('per_minute', { default: () => 0 });
  const windowOptions = {
    graceMs: options.graceMs ?? 0,
    expiresMs: options.expiresMs,
    timestamp: (ride: Ride) => ride.at,
    onWindowClose: (key: number, w: { startMs: number; endMs: number }, value: number) => {
      closed.push([key, w.startMs, w.endMs, value]);
    },
    onLateEvent: (_key: number, t: number) => void late.push(t),
  };
  const windowed = options.hopping
    ? base.hopping(60_000, 30_000, windowOptions)
    : base.tumbling(60_000, windowOptions);
  const agent = app.agent(rides, async (stream) => {
    for await (const ride of stream) await windowed.update(ride.vendorId, (n) => n + 1);
  });
  return { app, windowed, agent, closed, late, changelog: `${app.id}-per_minute-changelog` };
}

const minute = 60_000;

describe('windowed tables', () => {
  it('tumbling: counts per key and window on event time, out of order, boundaries to the window starting there', async () => {
    const { windowed, agent, changelog } = setup({ graceMs: minute });
    const h = await testAgent(agent);
    for (const at of [10_000, 59_999, 60_000, 30_000, 125_000]) await h.send({ vendorId: 1, at });
    expect(await windowed.range(1, 0, 10 * minute)).toEqual([
      { window: { startMs: 0, endMs: minute }, value: 3 },
      { window: { startMs: minute, endMs: 2 * minute }, value: 1 },
      { window: { startMs: 2 * minute, endMs: 3 * minute }, value: 1 },
    ]);
    expect(h.sent.filter((r) => r.topic === changelog)[0]!.key).toEqual([1, 0, minute]);
    await h.stop();
  });

  it('grace: a late event inside grace updates its window; outside grace it is dropped and reported', async () => {
    const { windowed, agent, late } = setup({ graceMs: 30_000 });
    const h = await testAgent(agent);
    await h.send({ vendorId: 1, at: 70_000 }); // stream time 70 s
    await h.send({ vendorId: 1, at: 20_000 }); // window [0, 60) closes at 90 s: still open
    await h.send({ vendorId: 1, at: 95_000 }); // stream time 95 s: [0, 60) closed
    await h.send({ vendorId: 1, at: 30_000 }); // too late
    expect(await windowed.at(1, 20_000)).toBe(1);
    expect(late).toEqual([30_000]);
    expect(windowed.lateEvents).toBe(1);
    await h.stop();
  });

  it('onWindowClose fires once per window, with its final value, when stream time passes end + grace', async () => {
    const { agent, closed } = setup({ graceMs: 10_000 });
    const h = await testAgent(agent);
    await h.send({ vendorId: 7, at: 1_000 });
    await h.send({ vendorId: 7, at: 2_000 });
    await h.send({ vendorId: 7, at: 65_000 }); // 65 < 60 + 10: not closed yet
    expect(closed).toEqual([]);
    await h.send({ vendorId: 7, at: 70_000 });
    await h.send({ vendorId: 7, at: 200_000 });
    expect(closed).toEqual([
      [7, 0, minute, 2],
      [7, minute, 2 * minute, 2],
    ]);
    await h.stop();
  });

  it('expired windows are deleted and tombstoned on stream time, not the wall clock', async () => {
    const { windowed, agent, changelog } = setup({ graceMs: 0, expiresMs: 2 * minute });
    const h = await testAgent(agent);
    await h.send({ vendorId: 1, at: 0 });
    await h.send({ vendorId: 1, at: 3 * minute }); // [0, 60 s) expires at 60 + 120 = 180 s
    expect(await windowed.range(1, 0, 10 * minute)).toEqual([
      { window: { startMs: 3 * minute, endMs: 4 * minute }, value: 1 },
    ]);
    const tombstone = h.sent.filter((r) => r.topic === changelog && r.value === null);
    expect(tombstone.map((r) => r.key)).toEqual([[1, 0, minute]]);
    await h.stop();
  });

  it('hopping: each event updates every window containing it', async () => {
    const { windowed, agent } = setup({ hopping: true, graceMs: minute });
    const h = await testAgent(agent);
    await h.send({ vendorId: 3, at: 45_000 }); // windows [-30, 30)? no: [0, 60) and [30, 90)
    await h.send({ vendorId: 3, at: 75_000 }); // [30, 90) and [60, 120)
    expect((await windowed.range(3, -minute, 5 * minute)).map((w) => [w.window.startMs, w.value])).toEqual([
      [0, 1],
      [30_000, 2],
      [60_000, 1],
    ]);
    await h.stop();
  });

  it('update gets the default for a new window, or undefined (typed so) when the table has none', async () => {
    const app = new App({ id: `w-${Math.random().toString(36).slice(2)}`, logLevel: 'silent' });
    const rides = app.topic('rides', { value: Ride });
    const withDefault = app.table<number, number>('with_default', { default: () => 0 }).tumbling(minute, {
      timestamp: (ride: Ride) => ride.at,
    });
    const noDefault = app.table<number, number[]>('no_default').tumbling(minute, {
      timestamp: (ride: Ride) => ride.at,
    });
    const seen: Array<number[] | undefined> = [];
    const agent = app.agent(rides, async (stream) => {
      for await (const ride of stream) {
        await withDefault.update(ride.vendorId, (n) => {
          expectTypeOf(n).toEqualTypeOf<number>();
          return n + 1;
        });
        await noDefault.update(ride.vendorId, (times) => {
          expectTypeOf(times).toEqualTypeOf<number[] | undefined>();
          seen.push(times);
          return [...(times ?? []), ride.at];
        });
      }
    });
    const h = await testAgent(agent);
    for (const at of [1_000, 2_000]) await h.send({ vendorId: 1, at });
    expect(seen).toEqual([undefined, [1_000]]);
    expect(await withDefault.at(1, 1_500)).toBe(2);
  });

  it('rejects an expiry shorter than size + grace with a message saying what to set', () => {
    const app = new App({ id: 'w-bad', logLevel: 'silent' });
    expect(() =>
      app
        .table<string, number>('t', { default: () => 0 })
        .tumbling(60_000, { graceMs: 10_000, expiresMs: 1000 }),
    ).toThrow(/expires/);
  });
});

describe('sliding and session windows in tables', () => {
  function app2() {
    const app = new App({ id: `ws-${Math.random().toString(36).slice(2)}`, logLevel: 'silent' });
    return { app, rides: app.topic('rides', { value: Ride }) };
  }

  it('sliding: records at 10, 20, 25 (maxDifference 10) give the windows Kafka Streams emits, with counts', async () => {
    const { app, rides } = app2();
    const windowed = app
      .table<number, number>('near', { default: () => 0 })
      .sliding(10, { aggregate: count<Ride>(), graceMs: 100, timestamp: (r: Ride) => r.at });
    const agent = app.agent(rides, async (stream) => {
      for await (const ride of stream) await windowed.add(ride.vendorId, ride);
    });
    const h = await testAgent(agent);
    for (const at of [10, 20, 25]) await h.send({ vendorId: 1, at });
    const windows = (await windowed.range(1, -100, 100)).map((w) => [
      w.window.startMs,
      w.window.endMs,
      w.value,
    ]);
    expect(windows).toEqual([
      [0, 11, 1],
      [10, 21, 2],
      [11, 22, 1],
      [15, 26, 2],
      [21, 32, 1],
    ]);
    await h.stop();
  });

  it('session: a record bridging two sessions merges them; the changelog tombstones the old ones', async () => {
    const { app, rides } = app2();
    const closed: Array<[number, number, number]> = [];
    const sessions = app.table<number, number>('sessions', { default: () => 0 }).session(30 * minute, {
      aggregate: count<Ride>(),
      graceMs: 60 * minute, // the first session closes at 30 min + grace: still open for the bridge
      timestamp: (r: Ride) => r.at,
      onWindowClose: (_key, w, value) => void closed.push([w.startMs, w.endMs, value]),
    });
    const agent = app.agent(rides, async (stream) => {
      for await (const ride of stream) await sessions.add(ride.vendorId, ride);
    });
    const h = await testAgent(agent);
    await h.send({ vendorId: 5, at: 0 });
    await h.send({ vendorId: 5, at: 50 * minute }); // 50 min later: a second session
    expect((await sessions.range(5, -minute, 100 * minute)).map((w) => w.value)).toEqual([1, 1]);
    await h.send({ vendorId: 5, at: 25 * minute }); // within 30 min of both: bridges them
    const merged = await sessions.range(5, -minute, 100 * minute);
    expect(merged).toEqual([{ window: { startMs: 0, endMs: 50 * minute + 1 }, value: 3 }]);
    const changelog = h.sent.filter((r) => r.topic.endsWith('-sessions-changelog'));
    expect(changelog.filter((r) => r.value === null).map((r) => r.key)).toEqual([
      [5, 0, 1],
      [5, 50 * minute, 50 * minute + 1],
    ]);
    await h.send({ vendorId: 5, at: 200 * minute }); // stream time passes end + gap: closes
    expect(closed).toEqual([[0, 50 * minute + 1, 3]]);
    await h.stop();
  });

  it('onWindowClose and closedTo both get the final result: the mean, not its accumulator', async () => {
    const { app, rides } = app2();
    const means = app.topic<ClosedWindow<number, number | undefined>, number>('means');
    const results: Array<number | undefined> = [];
    const fares = app.table<number, { sum: number; count: number }>('fares').tumbling(minute, {
      aggregate: mean<Ride>((r) => r.at / 1000),
      timestamp: (r: Ride) => r.at,
      closedTo: means,
      onWindowClose: (_key, _window, result) => {
        expectTypeOf(result).toEqualTypeOf<number | undefined>();
        results.push(result);
      },
    });
    const agent = app.agent(rides, async (stream) => {
      for await (const ride of stream) await fares.add(ride.vendorId, ride);
    });
    const h = await testAgent(agent);
    for (const at of [10_000, 20_000, 2 * minute]) await h.send({ vendorId: 1, at });
    expect(results).toEqual([15]);
    expect(h.sentTo<ClosedWindow<number, number | undefined>>(means).map((r) => r.value)).toEqual([15]);
    expect(await fares.at(1, 2 * minute)).toEqual({ sum: 120, count: 1 }); // reads: the accumulator
    await h.stop();
  });

  it('sliding and session windows without an aggregate are refused', () => {
    const { app } = app2();
    expect(() => app.table<string, number>('x').session(1000)).toThrow(/need \{ aggregate \}/);
  });
});

describe('closed windows and late events to topics', () => {
  it('closedTo receives each final value once; lateTo receives late events unchanged', async () => {
    const app = new App({ id: `wt-${Math.random().toString(36).slice(2)}`, logLevel: 'silent' });
    const rides = app.topic('rides', { value: Ride });
    const closedTopic = app.topic<ClosedWindow<number, number>, number>('closed-windows');
    const lateTopic = app.topic<Ride>('late-rides');
    const windowed = app
      .table<number, number>('m', { default: () => 0 })
      .tumbling(minute, { closedTo: closedTopic, lateTo: lateTopic, timestamp: (r: Ride) => r.at });
    const agent = app.agent(rides, async (stream) => {
      for await (const ride of stream) await windowed.update(ride.vendorId, (n) => n + 1);
    });
    const h = await testAgent(agent);
    for (const at of [1000, 2000, 61_000, 500]) await h.send({ vendorId: 2, at });
    expect(h.sentTo(closedTopic)).toEqual([{ key: 2, startMs: 0, endMs: minute, value: 2 }]);
    expect(h.sentTo(lateTopic)).toEqual([{ vendorId: 2, at: 500 }]);
    await h.stop();
  });
});
