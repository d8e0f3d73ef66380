import { describe, expect, expectTypeOf, it } from 'vitest';
import { type JoinInput, joinDefinition } from '../../../../test/support/join-definition.js';
import { App, type Stream, z } from '../index.js';
import { testAgent } from '../testing/index.js';

const Rec = z.object({ id: z.string() });
const Ride = z.object({ id: z.string(), zone: z.number().int() });

function makeApp() {
  return new App({ id: `test-${Math.random().toString(36).slice(2)}`, logLevel: 'silent' });
}

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Records mostly in time order, some out of order or late, on few keys. */
function inputs(seed: number, n: number): JoinInput[] {
  const next = random(seed);
  const result: JoinInput[] = [];
  let clock = 1_000_000;
  for (let i = 0; i < n; i++) {
    clock += Math.floor(next() * 20);
    const r = next();
    const timeMs = r < 0.2 ? clock - Math.floor(next() * 40) : r < 0.25 ? clock - 200 : clock;
    const side = next() < 0.5 ? 'left' : 'right';
    result.push({ side, key: `k${Math.floor(next() * 3)}`, timeMs, id: `${side[0]}${i}` });
  }
  return result;
}

describe('stream-table joins on the harness', () => {
  it('inner drops events with no table value, left passes undefined; the record key is the lookup key', async () => {
    const app = makeApp();
    const rides = app.topic('rides', { value: Ride, key: z.string() });
    const drivers = app.table<string, { name: string }>('drivers');
    const agent = app.agent(rides, async function* (stream) {
      yield* stream.leftJoin(drivers, (ride, driver) => `${ride.id}:${driver?.name ?? '-'}`);
    });
    const harness = await testAgent(agent);
    harness.setTable(drivers, 'd1', { name: 'Ann' });
    await harness.send({ id: 'r1', zone: 1 }, { key: 'd1' });
    await harness.send({ id: 'r2', zone: 1 }, { key: 'd2' });
    harness.setTable(drivers, 'd2', { name: 'Bob' });
    await harness.send({ id: 'r3', zone: 1 }, { key: 'd2' });
    expect(harness.yielded).toEqual(['r1:Ann', 'r2:-', 'r3:Bob']);
    await harness.stop();

    const app2 = makeApp();
    const rides2 = app2.topic('rides', { value: Ride, key: z.string() });
    const drivers2 = app2.table<string, { name: string }>('drivers');
    const innerAgent = app2.agent(rides2, async function* (stream) {
      yield* stream.join(drivers2, (ride, driver) => `${ride.id}:${driver.name}`);
    });
    const inner = await testAgent(innerAgent);
    inner.setTable(drivers2, 'd1', { name: 'Ann' });
    await inner.send({ id: 'r1', zone: 1 }, { key: 'd1' });
    await inner.send({ id: 'r2', zone: 1 }, { key: 'd2' });
    expect(inner.yielded).toEqual(['r1:Ann']);
    await inner.stop();
  });

  it('joins a global table on a key taken from the value (inner and left)', async () => {
    const app = makeApp();
    const rides = app.topic('rides', { value: Ride });
    const zones = app.globalTable<number, { borough: string }>('zones');
    const agent = app.agent(rides, async function* (stream) {
      const named = stream.leftJoin(
        zones,
        (ride) => ride.zone,
        (ride, zone) => ({ id: ride.id, borough: zone?.borough }),
      );
      yield* named.join(
        zones,
        (r) => (r.borough === undefined ? -1 : 1),
        (r, z) => `${r.id}:${r.borough ?? z.borough}`,
      );
    });
    const harness = await testAgent(agent);
    harness.setTable(zones, 1, { borough: 'Queens' });
    harness.setTable(zones, -1, { borough: 'Unknown' });
    await harness.send({ id: 'a', zone: 1 });
    await harness.send({ id: 'b', zone: 7 });
    expect(harness.yielded).toEqual(['a:Queens', 'b:Unknown']);
    await harness.stop();
  });

  it('re-keys through a named repartition topic when the join key is not the record key', async () => {
    const app = makeApp();
    const rides = app.topic('rides', { value: Ride });
    const zoneNames = app.table<number, string>('zone_names');
    const agent = app.agent(rides, async function* (stream) {
      yield* stream.join(
        zoneNames,
        { key: (r) => r.zone, name: 'ride-zone' },
        (ride, name) => `${ride.id}@${name}`,
      );
    });
    const harness = await testAgent(agent);
    harness.setTable(zoneNames, 4, 'JFK');
    await harness.send({ id: 'r1', zone: 4 });
    await harness.send({ id: 'r2', zone: 5 });
    expect(harness.yielded).toEqual(['r1@JFK']);
    expect(harness.sentTo(`${app.id}-ride-zone-repartition`)).toHaveLength(2);
    expect(harness.sent.find((r) => r.topic.endsWith('-ride-zone-repartition'))?.key).toBe(4);
    await harness.stop();
  });

  it('refuses a global table without a key extractor, and a co-partitioned re-key without a name', async () => {
    const app = makeApp();
    const rides = app.topic('rides', { value: Ride });
    const zones = app.globalTable<number, string>('zones');
    const local = app.table<number, string>('local');
    const refusals: string[] = [];
    const agent = app.agent(rides, async (stream) => {
      for (const build of [
        () => stream.join(zones, (r, z) => `${r.id}${z}`),
        () => stream.join(local, { key: (r) => r.zone, name: '' }, (r, z) => `${r.id}${z}`),
      ]) {
        try {
          build();
        } catch (error) {
          refusals.push(String(error));
        }
      }
    });
    const harness = await testAgent(agent);
    await harness.stop();
    expect(refusals).toEqual([
      expect.stringMatching(/global table needs a key extractor/),
      expect.stringMatching(/give it a name/),
    ]);
  });
});

describe('stream-stream joins on the harness, against the brute-force definition', () => {
  const window = { beforeMs: 30, afterMs: 20, graceMs: 10 };
  for (const kind of ['inner', 'left', 'outer'] as const) {
    it(`${kind}: 3 random inputs of 150 records, both topics fed in arrival order`, async () => {
      for (let seed = 1; seed <= 3; seed++) {
        const app = makeApp();
        const lefts = app.topic('lefts', { value: Rec, key: z.string() });
        const rights = app.topic('rights', { value: Rec, key: z.string() });
        const joinWindow = app.joinWindows('lr', window);
        const label = (l: { id: string } | undefined, r: { id: string } | undefined) =>
          `${l?.id ?? '-'}+${r?.id ?? '-'}`;
        const agent = app.agent(lefts, async function* (stream) {
          if (kind === 'inner') yield* stream.join(rights, joinWindow, label);
          else if (kind === 'left') yield* stream.leftJoin(rights, joinWindow, label);
          else yield* stream.outerJoin(rights, joinWindow, label);
        });
        const harness = await testAgent(agent);
        const all = inputs(seed, 150);
        for (const i of all) {
          const options = { key: i.key, timestamp: i.timeMs };
          if (i.side === 'left') await harness.send({ id: i.id }, options);
          else await harness.produce(rights, { id: i.id }, options);
        }
        const expected = joinDefinition(all, window, kind);
        expect([...harness.yielded].sort(), `seed ${seed}`).toEqual(expected.results);
        expect(expected.late).toBeGreaterThan(0);
        // the buffer writes its changes to the join's changelog
        expect(harness.sent.filter((r) => r.topic === `${app.id}-lr-join-changelog`).length).toBeGreaterThan(
          0,
        );
        await harness.stop();
      }
    });
  }

  it("gives docs/joins.md's timeline (withinMs 10 s, graceMs 5 s) for inner, left and outer joins", async () => {
    const expected = {
      inner: ['L1+R1', 'L3+R2'],
      left: ['L1+R1', 'L3+R2', 'L4+-'],
      outer: ['L1+R1', 'L3+R2', 'L4+-', '-+R3'],
    };
    for (const kind of ['inner', 'left', 'outer'] as const) {
      const app = makeApp();
      const lefts = app.topic('lefts', { value: Rec, key: z.string() });
      const rights = app.topic('rights', { value: Rec, key: z.string() });
      const window = app.joinWindows('timeline', { withinMs: 10_000, graceMs: 5_000 });
      const label = (l: { id: string } | undefined, r: { id: string } | undefined) =>
        `${l?.id ?? '-'}+${r?.id ?? '-'}`;
      const agent = app.agent(lefts, async function* (stream) {
        if (kind === 'inner') yield* stream.join(rights, window, label);
        else if (kind === 'left') yield* stream.leftJoin(rights, window, label);
        else yield* stream.outerJoin(rights, window, label);
      });
      const harness = await testAgent(agent);
      const timeline: Array<[string, number]> = [
        ['L1', 0],
        ['R1', 8],
        ['R2', 25],
        ['L2', 3],
        ['L3', 20],
        ['L4', 40],
        ['R3', 60],
        ['L5', 90],
      ];
      for (const [id, seconds] of timeline) {
        const options = { key: 'a', timestamp: seconds * 1000 };
        if (id.startsWith('L')) await harness.send({ id }, options);
        else await harness.produce(rights, { id }, options);
      }
      expect(harness.yielded, kind).toEqual(expected[kind]);
      expect(window.lateRecords).toBe(1); // L2
      await harness.stop();
    }
  });

  it('takes event times from the values when the window says so', async () => {
    const app = makeApp();
    const Timed = z.object({ id: z.string(), at: z.number() });
    const lefts = app.topic('lefts', { value: Timed, key: z.string() });
    const rights = app.topic('rights', { value: Timed, key: z.string() });
    const window = app.joinWindows<z.infer<typeof Timed>, z.infer<typeof Timed>>('timed', {
      withinMs: 10,
      timestamp: { left: (v) => v.at, right: (v) => new Date(v.at) },
    });
    const agent = app.agent(lefts, async function* (stream) {
      yield* stream.join(rights, window, (l, r) => `${l.id}+${r.id}`);
    });
    const harness = await testAgent(agent);
    const now = { timestamp: 5_000 }; // every record timestamp the same: only the values' times differ
    await harness.send({ id: 'l1', at: 100 }, { key: 'a', ...now });
    await harness.produce(rights, { id: 'r1', at: 105 }, { key: 'a', ...now });
    await harness.produce(rights, { id: 'r2', at: 150 }, { key: 'a', ...now });
    expect(harness.yielded).toEqual(['l1+r1']);
    await harness.stop();
  });

  it('refuses a join window without a size', () => {
    const app = makeApp();
    expect(() => app.joinWindows('w', { graceMs: 5 })).toThrow(/give withinMs/);
    expect(() => app.joinWindows('w2', { withinMs: -1 })).toThrow(/beforeMs must be a whole number/);
    const exactlyOnce = new App({ id: 'eos', logLevel: 'silent', processingGuarantee: 'exactly_once' });
    expect(() => exactlyOnce.joinWindows('w', { withinMs: 5 })).toThrow(/do not support processingGuarantee/);
  });
});

describe('join types (checked by pnpm typecheck)', () => {
  it('infers the joiner arguments from the zod schemas, undefined where a side may be missing', async () => {
    const app = makeApp();
    const rides = app.topic('rides', { value: Ride, key: z.string() });
    const pickups = app.topic('pickups', { value: z.object({ driver: z.string() }), key: z.string() });
    const names = app.table<string, { name: string }>('names');
    const zones = app.globalTable<number, { borough: string }>('zones');
    const window = app.joinWindows('types', { withinMs: 1000 });
    const agent = app.agent(rides, async function* (stream) {
      const inner = stream.join(pickups, window, (ride, pickup) => {
        expectTypeOf(ride).toEqualTypeOf<{ id: string; zone: number }>();
        expectTypeOf(pickup).toEqualTypeOf<{ driver: string }>();
        return { ride: ride.id, driver: pickup.driver };
      });
      expectTypeOf(inner).toEqualTypeOf<Stream<{ ride: string; driver: string }, string>>();
      const outer = stream.outerJoin(pickups, window, (ride, pickup) => {
        expectTypeOf(ride).toEqualTypeOf<{ id: string; zone: number } | undefined>();
        expectTypeOf(pickup).toEqualTypeOf<{ driver: string } | undefined>();
        return 1;
      });
      expectTypeOf(outer).toEqualTypeOf<Stream<number, string>>();
      stream.leftJoin(pickups, window, (ride, pickup) => {
        expectTypeOf(ride).toEqualTypeOf<{ id: string; zone: number }>();
        expectTypeOf(pickup).toEqualTypeOf<{ driver: string } | undefined>();
      });
      stream.leftJoin(names, (_ride, name) =>
        expectTypeOf(name).toEqualTypeOf<{ name: string } | undefined>(),
      );
      stream.join(names, (_ride, name) => expectTypeOf(name).toEqualTypeOf<{ name: string }>());
      const async = stream.join(
        zones,
        (r) => r.zone,
        async (ride, zone) => `${ride.id}:${zone.borough}`,
      );
      expectTypeOf(async).toEqualTypeOf<Stream<string, string>>();
      yield 'built';
    });
    const harness = await testAgent(agent);
    await harness.stop();
    expect(harness.yielded).toEqual(['built']);
  });
});
