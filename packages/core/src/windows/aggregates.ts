/**
 * Aggregations that work on every window kind. An aggregation keeps an accumulator `A` per window
 * (stored in the table and its changelog, so it must survive JSON: no `undefined`, `Infinity`,
 * `NaN`, `Map`...) and reads a result `R` from it:
 *
 * - `init()` — the accumulator of an empty window;
 * - `add(acc, value)` — one more record;
 * - `merge(a, b)` — two windows' accumulators combined (session merges);
 * - `result(acc)` — what a read returns.
 *
 * `add` and `merge` return new accumulators (they must not mutate their arguments: a sliding
 * window copies another window's accumulator).
 */

export interface Aggregator<V, A, R = A> {
  init(): A;
  add(acc: A, value: V): A;
  merge(a: A, b: A): A;
  result(acc: A): R;
}

/** The accumulator type of an aggregator. */
export type AccumulatorOf<T> = T extends Aggregator<never, infer A, unknown> ? A : never;
/** The result type of an aggregator. */
export type ResultOf<T> = T extends Aggregator<never, unknown, infer R> ? R : never;

/** Builds an aggregator of your own; `result` defaults to the accumulator itself. */
export function aggregate<V, A, R = A>(parts: {
  init: () => A;
  add: (acc: A, value: V) => A;
  merge: (a: A, b: A) => A;
  result?: (acc: A) => R;
}): Aggregator<V, A, R> {
  const result = parts.result ?? ((acc: A) => acc as unknown as R);
  return { init: parts.init, add: parts.add, merge: parts.merge, result };
}

/** Number of records. */
export function count<V = unknown>(): Aggregator<V, number, number> {
  return aggregate({ init: () => 0, add: (n) => n + 1, merge: (a, b) => a + b });
}

/** Sum of `fn(value)`; 0 for an empty window. */
export function sum<V>(fn: (value: V) => number): Aggregator<V, number, number> {
  return aggregate({ init: () => 0, add: (acc, value) => acc + fn(value), merge: (a, b) => a + b });
}

/** Smallest `fn(value)`; undefined for an empty window (stored as null). */
export function min<V>(fn: (value: V) => number): Aggregator<V, number | null, number | undefined> {
  return extreme(fn, Math.min);
}

/** Largest `fn(value)`; undefined for an empty window (stored as null). */
export function max<V>(fn: (value: V) => number): Aggregator<V, number | null, number | undefined> {
  return extreme(fn, Math.max);
}

function extreme<V>(
  fn: (value: V) => number,
  pick: (a: number, b: number) => number,
): Aggregator<V, number | null, number | undefined> {
  const combine = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : pick(a, b));
  return aggregate({
    init: () => null,
    add: (acc, value) => combine(acc, fn(value)),
    merge: combine,
    result: (acc) => acc ?? undefined,
  });
}

/** The accumulator of {@link mean}. */
export interface MeanAccumulator {
  readonly sum: number;
  readonly count: number;
}

/** Mean of `fn(value)`; undefined for an empty window. Keeps `{ sum, count }`. */
export function mean<V>(fn: (value: V) => number): Aggregator<V, MeanAccumulator, number | undefined> {
  return aggregate({
    init: () => ({ sum: 0, count: 0 }),
    add: (acc, value) => ({ sum: acc.sum + fn(value), count: acc.count + 1 }),
    merge: (a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count }),
    result: (acc) => (acc.count === 0 ? undefined : acc.sum / acc.count),
  });
}

/**
 * Folds the values with `fn`, starting from `initial`. Merging two windows is `fn(a, b)`, so `fn`
 * must be associative with `initial` as its identity (`(a, b) => a + b` with 0, `Math.max` with
 * `-Number.MAX_VALUE`, string concatenation with ''). For anything else use {@link aggregate}.
 */
export function reduce<T>(fn: (acc: T, value: T) => T, initial: T): Aggregator<T, T, T> {
  return aggregate({ init: () => initial, add: fn, merge: fn });
}
