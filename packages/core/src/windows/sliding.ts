/**
 * Sliding windows, as Kafka Streams' SlidingWindows (KIP-450): a window is `maxDifference` wide
 * and holds records whose times differ by at most `maxDifference`. Windows exist only where the
 * set of records they hold changes:
 *
 * - every record at `t` has its **left window**, the one ending at it: `[t - d, t]`;
 * - every record at `t` has a **right window**, the one starting just after it, `[t + 1, t + 1 + d]`,
 *   when some record falls in it (it holds what is left once `t` slides out).
 *
 * Kafka Streams' bounds are inclusive at both ends; here every window is end exclusive, so
 * `[t - d, t]` is stored as `[t - d, t + 1)` and `[t + 1, t + 1 + d]` as `[t + 1, t + d + 2)`:
 * `d + 1` ms wide, same records.
 *
 * Aggregates cannot be taken apart, so a new window is never computed from scratch: it starts as
 * a copy of an existing window that holds exactly the records it needs (the *seed*), or empty.
 * Finding the seed needs, per window, the time of the latest record in it (`maxRecordMs`), which
 * Kafka Streams keeps too (the timestamp of its ValueAndTimestamp).
 */
import type { Aggregator } from './aggregates.js';
import type { TimeWindow } from './window.js';

/** What the planner needs of a stored sliding window. */
export interface StoredSlidingWindow {
  readonly window: TimeWindow;
  /** The time of the latest record the window holds. */
  readonly maxRecordMs: number;
}

export interface SlidingWindowState<A> extends StoredSlidingWindow {
  readonly aggregate: A;
}

/** The left window of a record at `timeMs`, `[t - d, t + 1)`: "the window of this event". */
export function slidingWindowOf(timeMs: number, maxDifferenceMs: number): TimeWindow {
  return { startMs: timeMs - maxDifferenceMs, endMs: timeMs + 1 };
}

/**
 * The stored windows of the key a record at `timeMs` may read: those starting in
 * `[t - 2d, t + 2)` (scan with `match: 'start'`).
 */
export function slidingSearchRange(
  timeMs: number,
  maxDifferenceMs: number,
): { fromMs: number; toMs: number } {
  return { fromMs: timeMs - 2 * maxDifferenceMs, toMs: timeMs + 2 };
}

/** A window to create for a record. */
export interface SlidingCreate {
  readonly window: TimeWindow;
  /** Start from a copy of this existing window's aggregate (as it was before the record); empty if undefined. */
  readonly seed: TimeWindow | undefined;
  /** Add the record to it (false for the record's right window, which starts after it). */
  readonly addRecord: boolean;
  readonly maxRecordMs: number;
}

export interface SlidingPlan {
  /** Existing windows holding the record: add it to each. */
  readonly update: TimeWindow[];
  /** New windows, in the order Kafka Streams creates them. */
  readonly create: SlidingCreate[];
}

const windowAt = (startMs: number, d: number): TimeWindow => ({ startMs, endMs: startMs + d + 1 });

/**
 * Which windows a record at `t` updates and creates, given the key's stored windows (extra ones
 * outside {@link slidingSearchRange} are ignored). Ignores closing; {@link applySliding} adds it.
 *
 * In words (d = maxDifference, windows by start `s`, each `[s, s + d]` inclusive):
 * 1. Windows starting in `[t - d, t]` hold `t`: update them. If the one starting at `t - d` (the
 *    left window of `t`) already holds a record at `t`, that is all: a record with the same time
 *    was seen before and created every window this one would.
 * 2. The previous record `p` (the latest before `t`) is the latest record of the window starting
 *    at `t - d` if it exists, else of the latest-starting window that ends before `t`.
 * 3. If `t` falls in `p`'s right window `[p + 1, p + 1 + d]` and that window does not exist,
 *    create it holding just `t` (nothing lies between `p` and `t`).
 * 4. If the left window of `t` does not exist, create it: a copy of the latest-starting window
 *    ending before `t` when `p` is within `d` of `t` (that window holds exactly the records in
 *    `[t - d, t)`), else empty; then add `t`.
 * 5. If some stored window holding `t` also holds a record after `t` and the right window of `t`
 *    `[t + 1, t + 1 + d]` does not exist, create it as a copy of the latest-starting such window
 *    (before `t` is added): it holds exactly the records in `(t, t + 1 + d]`.
 */
export function planSliding(
  stored: readonly StoredSlidingWindow[],
  timeMs: number,
  maxDifferenceMs: number,
): SlidingPlan {
  const t = timeMs;
  const d = maxDifferenceMs;
  const near = stored
    .filter((w) => w.window.startMs >= t - 2 * d && w.window.startMs <= t + 1)
    .sort((a, b) => a.window.startMs - b.window.startMs);
  const at = (startMs: number) => near.find((w) => w.window.startMs === startMs);
  const holding = near.filter((w) => w.window.startMs >= t - d && w.window.startMs <= t);
  const update = holding.map((w) => w.window);
  const left = at(t - d);
  if (left !== undefined && left.maxRecordMs >= t) return { update, create: [] };

  const endingBefore = near.filter((w) => w.window.startMs < t - d);
  const leftSeed = endingBefore[endingBefore.length - 1];
  const previous = left !== undefined ? left.maxRecordMs : leftSeed?.maxRecordMs;
  const create: SlidingCreate[] = [];
  const exists = (startMs: number) =>
    at(startMs) !== undefined || create.some((c) => c.window.startMs === startMs);

  if (previous !== undefined && previous + 1 + d >= t && !exists(previous + 1)) {
    create.push({ window: windowAt(previous + 1, d), seed: undefined, addRecord: true, maxRecordMs: t });
  }
  if (!exists(t - d)) {
    const seed = previous !== undefined && previous >= t - d ? leftSeed?.window : undefined;
    create.push({ window: windowAt(t - d, d), seed, addRecord: true, maxRecordMs: t });
  }
  const rightSeed = holding.filter((w) => w.window.startMs > t - d).pop();
  if (rightSeed !== undefined && rightSeed.maxRecordMs > t && !exists(t + 1)) {
    create.push({
      window: windowAt(t + 1, d),
      seed: rightSeed.window,
      addRecord: false,
      maxRecordMs: rightSeed.maxRecordMs,
    });
  }
  return { update, create };
}

export interface SlidingInput<V, A> {
  /** The key's stored windows, at least those in {@link slidingSearchRange}. */
  readonly windows: ReadonlyArray<SlidingWindowState<A>>;
  readonly timeMs: number;
  readonly value: V;
  readonly maxDifferenceMs: number;
  readonly graceMs: number;
  /** Stream time including this record: `max(previous stream time, timeMs)`. */
  readonly streamTimeMs: number;
  readonly aggregator: Pick<Aggregator<V, A, unknown>, 'init' | 'add'>;
}

export interface SlidingUpdate<A> {
  /** True when every window holding the record is closed: nothing changes (late-events hook). */
  readonly late: boolean;
  /** Windows to write (updated and created), with their new aggregate and latest record time. */
  readonly writes: SlidingWindowState<A>[];
  /** Windows the record would have updated or created but that are closed (count as dropped). */
  readonly dropped: TimeWindow[];
}

/**
 * Applies a record to the sliding windows of its key: {@link planSliding}, skipping closed
 * windows (`end + grace <= stream time`). The record is late when even its latest window,
 * `[t, t + d + 1)`, is closed — Kafka Streams' rule.
 */
export function applySliding<V, A>(input: SlidingInput<V, A>): SlidingUpdate<A> {
  const { timeMs: t, maxDifferenceMs: d, graceMs, streamTimeMs, aggregator, value } = input;
  const closed = (w: TimeWindow) => w.endMs + graceMs <= streamTimeMs;
  if (closed(windowAt(t, d))) return { late: true, writes: [], dropped: [] };

  const stateOf = (w: TimeWindow) => input.windows.find((s) => s.window.startMs === w.startMs)!;
  const plan = planSliding(input.windows, t, d);
  const writes: SlidingWindowState<A>[] = [];
  const dropped: TimeWindow[] = [];
  for (const window of plan.update) {
    if (closed(window)) dropped.push(window);
    else {
      const state = stateOf(window);
      writes.push({
        window,
        aggregate: aggregator.add(state.aggregate, value),
        maxRecordMs: Math.max(state.maxRecordMs, t),
      });
    }
  }
  for (const c of plan.create) {
    if (closed(c.window)) dropped.push(c.window);
    else {
      const base = c.seed === undefined ? aggregator.init() : stateOf(c.seed).aggregate;
      writes.push({
        window: c.window,
        aggregate: c.addRecord ? aggregator.add(base, value) : base,
        maxRecordMs: c.maxRecordMs,
      });
    }
  }
  return { late: false, writes, dropped };
}
