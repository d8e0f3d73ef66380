import { describe, expect, expectTypeOf, it } from 'vitest';
import { App, type Table, z } from '../index.js';
import { testAgent } from '../testing/index.js';

/** A write to one side of a join in the unit tests: `value` null deletes the key. */
const SideWrite = z.object({
  side: z.enum(['left', 'right']),
  key: z.number().int(),
  value: z.unknown().nullable(),
});
type SideWrite = z.infer<typeof SideWrite>;

/** A seeded generator (mulberry32), so a failing random sequence can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An app whose one agent applies side writes to two tables, re-keyed by `key` first (as
 * groupBy places keys: the partition of the key's JSON), and the final state of both sides.
 */
function sidesApp<L, R>() {
  const app = new App({ id: `join-test-${Math.random().toString(36).slice(2)}`, logLevel: 'silent' });
  const writes = app.topic('writes', { value: SideWrite });
  const left = app.table<number, L>('left');
  const right = app.table<number, R>('right');
  const agent = app.agent(writes, async (stream) => {
    for await (const write of stream.groupBy((w) => w.key, { name: 'key' })) {
      const table = (write.side === 'left' ? left : right) as unknown as typeof left;
      if (write.value === null) await table.delete(write.key);
      else await table.set(write.key, write.value as L);
    }
  });
  return { app, writes, left, right, agent };
}

/** Applies writes to plain maps: the final state of both sides, for brute-force results. */
function finalSides(writes: readonly SideWrite[]): {
  left: Map<number, unknown>;
  right: Map<number, unknown>;
} {
  const sides = { left: new Map<number, unknown>(), right: new Map<number, unknown>() };
  for (const w of writes) {
    if (w.value === null) sides[w.side].delete(w.key);
    else sides[w.side].set(w.key, w.value);
  }
  return sides;
}

/** Random writes on both sides: upserts and deletes over a few keys, so keys come and go. */
function randomWrites(
  random: () => number,
  count: number,
  keys: { left: number; right: number },
  values: { left: () => unknown; right: () => unknown },
): SideWrite[] {
  return Array.from({ length: count }, () => {
    const side = random() < 0.5 ? 'left' : 'right';
    const key = Math.floor(random() * keys[side]);
    return { side, key, value: random() < 0.25 ? null : values[side]() };
  });
}

/**
 * Feeds the writes in bursts of up to 20 without waiting between them, so the join's internal
 * records (foreign-key answers) interleave with later writes, as on a busy worker.
 */
async function sendInBursts(
  harness: { send(value: SideWrite): Promise<void> },
  writes: readonly SideWrite[],
  random: () => number,
): Promise<void> {
  for (let at = 0; at < writes.length; ) {
    const burst = writes.slice(at, at + 1 + Math.floor(random() * 20));
    at += burst.length;
    await Promise.all(burst.map((w) => harness.send(w)));
  }
}

async function contents<V>(table: Table<number, V, unknown>): Promise<Map<number, V>> {
  const result = new Map<number, V>();
  for await (const [key, value] of table.entries()) result.set(key, value);
  return result;
}

function sorted<V>(map: Map<number, V>): Array<[number, V]> {
  return [...map].sort(([a], [b]) => a - b);
}

type Kind = 'inner' | 'left' | 'outer';

/** The table join by its definition over the final states. */
function bruteTableJoin(kind: Kind, left: Map<number, unknown>, right: Map<number, unknown>) {
  const result = new Map<number, unknown>();
  for (const key of new Set([...left.keys(), ...right.keys()])) {
    const l = left.get(key);
    const r = right.get(key);
    const present =
      kind === 'inner' ? l !== undefined && r !== undefined : kind === 'left' ? l !== undefined : true;
    if (present) result.set(key, { l: l ?? null, r: r ?? null });
  }
  return result;
}

describe('table-table join', () => {
  for (const kind of ['inner', 'left', 'outer'] as const) {
    it(`${kind}: follows random upserts and deletes on both sides (brute force over the final states)`, async () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const { app, left, right, agent } = sidesApp<number, number>();
        const joined = app.tableJoin(left, right, (l, r) => ({ l: l ?? null, r: r ?? null }), {
          name: 'joined',
          kind,
        });
        const harness = await testAgent(agent, { partitions: 3 });
        const random = seeded(seed);
        const writes = randomWrites(
          random,
          300,
          { left: 12, right: 12 },
          {
            left: () => Math.floor(random() * 100),
            right: () => Math.floor(random() * 100),
          },
        );
        await sendInBursts(harness, writes, random);
        const { left: l, right: r } = finalSides(writes);
        expect(sorted(await contents(joined))).toEqual(sorted(bruteTableJoin(kind, l, r)));
        // the changelog ends at the same state (what a restarted worker recovers)
        const changelog = new Map<string, unknown>();
        for (const record of harness.sent.filter((s) => s.topic === joined.changelog.name))
          if (record.value === null) changelog.delete(String(record.key));
          else changelog.set(String(record.key), record.value);
        expect(changelog.size).toBe(bruteTableJoin(kind, l, r).size);
        await harness.stop();
      }
    });
  }

  it('types the joiner by kind: left and outer sides may be undefined', () => {
    const { app, left, right } = sidesApp<{ a: number }, string>();
    const inner = app.tableJoin(
      left,
      right,
      (l, r) => {
        expectTypeOf(l).toEqualTypeOf<{ a: number }>();
        expectTypeOf(r).toEqualTypeOf<string>();
        return `${l.a}${r}`;
      },
      { name: 'j-inner' },
    );
    expectTypeOf(inner).toEqualTypeOf<Table<number, string, string | undefined>>();
    app.tableJoin(
      left,
      right,
      (l, r) => {
        expectTypeOf(l).toEqualTypeOf<{ a: number }>();
        expectTypeOf(r).toEqualTypeOf<string | undefined>();
        return 0;
      },
      { name: 'j-left', kind: 'left' },
    );
    app.tableJoin(
      left,
      right,
      (l, r) => {
        expectTypeOf(l).toEqualTypeOf<{ a: number } | undefined>();
        expectTypeOf(r).toEqualTypeOf<string | undefined>();
        return 0;
      },
      { name: 'j-outer', kind: 'outer' },
    );
  });

  it('a joiner that throws dead-letters the write that caused it; the join goes on', async () => {
    const { app, left, right, agent } = sidesApp<number, number>();
    const joined = app.tableJoin(
      left,
      right,
      (l, r) => {
        if (r === 13) throw new Error('unlucky right value');
        return l + r;
      },
      { name: 'sum' },
    );
    const harness = await testAgent(agent);
    await harness.send({ side: 'left', key: 1, value: 1 });
    await harness.send({ side: 'right', key: 1, value: 13 });
    await harness.send({ side: 'left', key: 2, value: 2 });
    await harness.send({ side: 'right', key: 2, value: 3 });
    expect(harness.deadLetters.map((d) => d.reason)).toEqual([expect.stringMatching(/unlucky right value/)]);
    expect(await joined.toObject()).toEqual({ '2': 5 });
    await harness.stop();
  });

  it('refuses a global side with a message naming it', () => {
    const { app, left } = sidesApp<number, number>();
    const names = app.globalTable<number, string>('names');
    expect(() => app.tableJoin(left, names, (l, r) => [l, r], { name: 'j' })).toThrow(
      /table names is global/,
    );
  });
});

/** The foreign-key join by its definition over the final states. */
function bruteForeignKeyJoin(
  kind: 'inner' | 'left',
  left: Map<number, unknown>,
  right: Map<number, unknown>,
) {
  const result = new Map<number, unknown>();
  for (const [key, value] of left) {
    const { fk, n } = value as { fk: number | null; n: number };
    const r = fk === null ? undefined : right.get(fk);
    if (r !== undefined || kind === 'left') result.set(key, { n, name: r ?? null });
  }
  return result;
}

describe('foreign-key join', () => {
  for (const kind of ['inner', 'left'] as const) {
    it(`${kind}: follows upserts, deletes and foreign-key changes on both sides (brute force)`, async () => {
      for (const seed of [11, 12, 13, 14, 15]) {
        const { app, left, right, agent } = sidesApp<{ fk: number | null; n: number }, string>();
        const joined = app.foreignKeyJoin(
          left,
          right,
          (row) => row.fk,
          (row, name) => ({ n: row.n, name: name ?? null }),
          { name: 'joined', kind },
        );
        const harness = await testAgent(agent, { partitions: 3 });
        const random = seeded(seed);
        const writes = randomWrites(
          random,
          400,
          { left: 16, right: 6 },
          {
            // a few rows have no foreign key; most move between the right keys
            left: () => ({
              fk: random() < 0.1 ? null : Math.floor(random() * 6),
              n: Math.floor(random() * 100),
            }),
            right: () => `zone-${Math.floor(random() * 100)}`,
          },
        );
        await sendInBursts(harness, writes, random);
        const { left: l, right: r } = finalSides(writes);
        expect(sorted(await contents(joined))).toEqual(sorted(bruteForeignKeyJoin(kind, l, r)));
        expect(harness.deadLetters).toEqual([]);
        await harness.stop();
      }
    });
  }

  it('creates its internal topics and state tables under the join name', () => {
    const { app, left, right } = sidesApp<{ fk: number }, string>();
    app.foreignKeyJoin(
      left,
      right,
      (row) => row.fk,
      (row, name) => `${row.fk}:${name}`,
      { name: 'fkj' },
    );
    const names = app.topics().map((t) => t.name);
    expect(names).toContain(`${app.id}-fkj-subscription`);
    expect(names).toContain(`${app.id}-fkj-response`);
    expect(app.tables.map((t) => t.name)).toEqual(['left', 'right', 'fkj', 'fkj-fk', 'fkj-subscribers']);
    expect(app.agents.map((a) => a.name)).toContain('fkj-responses');
  });

  it('types the joiner: a left join may see no right value', () => {
    const { app, left, right } = sidesApp<{ fk: number }, { name: string }>();
    app.foreignKeyJoin(
      left,
      right,
      (row) => row.fk,
      (row, r) => {
        expectTypeOf(row).toEqualTypeOf<{ fk: number }>();
        expectTypeOf(r).toEqualTypeOf<{ name: string }>();
        return r.name;
      },
      { name: 'j-inner' },
    );
    app.foreignKeyJoin(
      left,
      right,
      (row) => row.fk,
      (row, r) => {
        expectTypeOf(r).toEqualTypeOf<{ name: string } | undefined>();
        return row.fk;
      },
      { name: 'j-left', kind: 'left' },
    );
  });
});
