import { describe, expect, expectTypeOf, it } from 'vitest';
import { App, type Table, type WindowedTable, z } from '../index.js';

// Type-level checks (run by `pnpm typecheck`): the key type comes first, as in Map<K, V>.
describe('table generics', () => {
  const app = new App({ id: 'table-types', logLevel: 'silent' });

  it('app.table<K, V> reads keys of K and values of V', () => {
    const counts = app.table<string, number>('t', { default: () => 0 });
    expectTypeOf(counts).toEqualTypeOf<Table<string, number, number>>();
    expectTypeOf(counts.get).toEqualTypeOf<(key: string) => Promise<number>>();
    expectTypeOf(counts.update).parameter(0).toEqualTypeOf<string>();
    expect(counts.name).toBe('t');
  });

  it('without a default, get may return undefined; schemas infer both types', () => {
    const last = app.table('last', { key: z.number(), value: z.string() });
    expectTypeOf(last.get).toEqualTypeOf<(key: number) => Promise<string | undefined>>();
    const zones = app.globalTable<number, string>('zones');
    expectTypeOf(zones.get).toEqualTypeOf<(key: number) => Promise<string | undefined>>();
    expect(zones.global).toBe(true);
  });

  it('a windowed table keeps the key first', () => {
    const perMinute = app.table<string, number>('per_minute', { default: () => 0 }).tumbling(60_000);
    expectTypeOf(perMinute).toExtend<WindowedTable<string, number>>();
    // a single type argument was the value type before keys came first: it no longer compiles
    // @ts-expect-error Expected 2 type arguments
    app.table<number>('one_argument');
    expect(app.tables.map((t) => t.name)).toContain('per_minute');
  });
});
