import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type AccumulatorOf,
  type Aggregator,
  aggregate,
  count,
  type MeanAccumulator,
  max,
  mean,
  min,
  type ResultOf,
  reduce,
  sum,
} from './aggregates.js';

interface Ride {
  fare: number;
}
const rides = (...fares: number[]): Ride[] => fares.map((fare) => ({ fare }));

/** Folds values with add, as one window would. */
function fold<V, A, R>(agg: Aggregator<V, A, R>, values: V[]): A {
  return values.reduce((acc, v) => agg.add(acc, v), agg.init());
}

/** One window of all values must equal two windows merged (a session merge). */
function splitAndMerge<V, A, R>(agg: Aggregator<V, A, R>, values: V[], at: number): R {
  return agg.result(agg.merge(fold(agg, values.slice(0, at)), fold(agg, values.slice(at))));
}

describe('aggregations', () => {
  const values = rides(4, -2, 10, 3);

  it('count', () => {
    const agg = count<Ride>();
    expect(agg.result(agg.init())).toBe(0);
    expect(agg.result(fold(agg, values))).toBe(4);
  });

  it('sum', () => {
    const agg = sum((r: Ride) => r.fare);
    expect(agg.result(agg.init())).toBe(0);
    expect(agg.result(fold(agg, values))).toBe(15);
  });

  it('min and max: undefined for an empty window, stored as JSON null', () => {
    const lo = min((r: Ride) => r.fare);
    const hi = max((r: Ride) => r.fare);
    expect(lo.init()).toBeNull();
    expect(JSON.stringify(lo.init())).toBe('null');
    expect(lo.result(lo.init())).toBeUndefined();
    expect(hi.result(hi.init())).toBeUndefined();
    expect(lo.result(fold(lo, values))).toBe(-2);
    expect(hi.result(fold(hi, values))).toBe(10);
    expect(lo.result(lo.merge(lo.init(), fold(lo, values)))).toBe(-2);
    expect(hi.result(hi.merge(fold(hi, values), hi.init()))).toBe(10);
  });

  it('mean keeps { sum, count }', () => {
    const agg = mean((r: Ride) => r.fare);
    expect(agg.result(agg.init())).toBeUndefined();
    expect(fold(agg, values)).toEqual({ sum: 15, count: 4 });
    expect(agg.result(fold(agg, values))).toBe(3.75);
  });

  it('reduce: fn folds and merges', () => {
    const agg = reduce((a: number, b: number) => a + b, 0);
    expect(agg.result(fold(agg, [1, 2, 3]))).toBe(6);
    const longest = reduce((a: string, b: string) => (b.length > a.length ? b : a), '');
    expect(longest.result(fold(longest, ['ab', 'abcd', 'abc']))).toBe('abcd');
  });

  it('merging two windows gives what one window of all the values gives', () => {
    for (let at = 0; at <= values.length; at++) {
      expect(splitAndMerge(count<Ride>(), values, at)).toBe(4);
      expect(
        splitAndMerge(
          sum((r: Ride) => r.fare),
          values,
          at,
        ),
      ).toBe(15);
      expect(
        splitAndMerge(
          min((r: Ride) => r.fare),
          values,
          at,
        ),
      ).toBe(-2);
      expect(
        splitAndMerge(
          max((r: Ride) => r.fare),
          values,
          at,
        ),
      ).toBe(10);
      expect(
        splitAndMerge(
          mean((r: Ride) => r.fare),
          values,
          at,
        ),
      ).toBe(3.75);
    }
  });

  it('accumulators survive the changelog (JSON round trip)', () => {
    const all = [
      count<Ride>(),
      sum((r: Ride) => r.fare),
      min((r: Ride) => r.fare),
      mean((r: Ride) => r.fare),
    ];
    for (const agg of all as Aggregator<Ride, unknown, unknown>[]) {
      for (const acc of [agg.init(), fold(agg, values)]) expect(JSON.parse(JSON.stringify(acc))).toEqual(acc);
    }
  });

  it('does not mutate accumulators (a sliding window copies another one)', () => {
    const agg = mean((r: Ride) => r.fare);
    const acc = Object.freeze(fold(agg, values));
    expect(() => agg.add(acc, { fare: 1 })).not.toThrow();
    expect(acc).toEqual({ sum: 15, count: 4 });
  });

  it('custom aggregations with aggregate(); types flow', () => {
    const fares = aggregate({
      init: (): number[] => [],
      add: (acc, r: Ride) => [...acc, r.fare],
      merge: (a, b) => [...a, ...b],
      result: (acc) => acc.length,
    });
    expect(fares.result(fold(fares, values))).toBe(4);
    expectTypeOf(fares).toEqualTypeOf<Aggregator<Ride, number[], number>>();
    expectTypeOf(mean((r: Ride) => r.fare)).toEqualTypeOf<
      Aggregator<Ride, MeanAccumulator, number | undefined>
    >();
    expectTypeOf<AccumulatorOf<ReturnType<typeof min<Ride>>>>().toEqualTypeOf<number | null>();
    expectTypeOf<ResultOf<ReturnType<typeof mean<Ride>>>>().toEqualTypeOf<number | undefined>();
    expectTypeOf<ResultOf<ReturnType<typeof count>>>().toEqualTypeOf<number>();
  });
});
