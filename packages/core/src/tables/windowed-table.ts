import { ConfigError, describeError, StromError } from '../errors/errors.js';
import type { StreamEvent } from '../streams/event.js';
import type { Topic } from '../topics/topic.js';
import type { Headers } from '../transport/types.js';
import {
  type Aggregator,
  applySession,
  applySliding,
  assignTimeWindows,
  encodeWindowedKey,
  eventTime,
  type SlidingWindowState,
  scanWindows,
  sessionSearchRange,
  slidingSearchRange,
  slidingWindowOf,
  type TimeWindow,
  tryDecodeWindowedKey,
  type WindowPolicy,
  type WindowSpec,
  WindowTracker,
  windowPolicy,
  windowsFor,
} from '../windows/index.js';
import type { TablePartition } from './table-partition.js';

/** What a windowed view needs of its table (a Table provides it). */
export interface WindowedTableSource<V> {
  readonly name: string;
  readonly changelog: Topic;
  /** The value of a key never set, if the table has a default. */
  defaultFor(): V | undefined;
  /** The partition of the event being processed, and the event. */
  eventPartition(): { partition: TablePartition<V>; event: StreamEvent };
  /** The partitions this worker holds. */
  partitionsHere(): Iterable<TablePartition<V>>;
}

/**
 * Options of a windowed table. `V` is what the table stores (an aggregation's accumulator), `E` the
 * values written with `add`, `F` a window's final result: the aggregation's result, else `V`.
 */
export interface WindowOptions<K, V, E, F = V> {
  /** How long after its end a window is kept (then deleted and tombstoned). Default: max(1 day, size + grace). */
  expiresMs?: number;
  /** How far behind stream time an event may be and still update its window. Default 0. */
  graceMs?: number;
  /** The event time of a value (ms or Date); default: the record timestamp. */
  timestamp?: (value: E) => number | Date | null | undefined;
  /**
   * How `add(key, value)` folds values into a window: count(), sum(fn), min, max, mean, reduce
   * from '@strom/core'. Needed by sliding and session windows (sessions merge aggregates).
   */
  aggregate?: Aggregator<E, V, F>;
  /** Called once per window when stream time passes its end + grace, with its final result. */
  onWindowClose?: (key: K, window: TimeWindow, result: F) => void | Promise<void>;
  /** Called for an event too late for any of its windows (it is not applied). */
  onLateEvent?: (key: K, eventTimeMs: number, event: StreamEvent) => void;
  /** Also send every closed window, `{ key, startMs, endMs, value }` keyed by key, to this topic. */
  closedTo?: Topic<ClosedWindow<K, F>, K>;
  /** Also send every late event's value, unchanged (key and headers kept), to this topic. */
  lateTo?: Topic<E, unknown>;
}

/** What `closedTo` receives: a window's final value (the aggregate's result, with one). */
export interface ClosedWindow<K, R> {
  key: K;
  startMs: number;
  endMs: number;
  value: R;
}

/**
 * Where a windowed table partition keeps its stream time (a key no windowed key can equal:
 * not a 3-element array), written whenever windows close.
 */
export const STREAM_TIME_ID = JSON.stringify(['\u0000strom:stream-time']);

/** True for keys Strom keeps in a table for itself (hidden from readTable). */
export function isInternalKeyId(id: string): boolean {
  return id === STREAM_TIME_ID;
}

/** A window with its value. */
export interface WindowValue<V> {
  window: TimeWindow;
  value: V;
}

/** What a sliding window stores: its aggregate and its latest record time (the algorithm needs both). */
interface SlidingStored<V> {
  aggregate: V;
  maxRecordMs: number;
}

interface PartitionWindows<K> {
  tracker: WindowTracker<K>;
  /** Window ids per key (JSON text), for sliding and session look-ups. */
  byKey: Map<string, Set<string>>;
}

/**
 * A table whose keys are (key, window). `update(key, fn)` (tumbling, hopping) or `add(key,
 * value)` (every kind, with an aggregate) changes the windows of the event being processed.
 * Stream time — the largest event time seen per partition — decides when a window closes
 * (`onWindowClose`, once, its final value) and expires (deleted, tombstoned); never the wall
 * clock. Changelog keys are `[key, windowStartMs, windowEndMs]` (end exclusive). After a
 * restart the window index is rebuilt from the recovered partition, so old windows still close
 * and expire.
 */
export class WindowedTable<K, V, E = unknown, R = V | undefined, F = V> {
  readonly policy: WindowPolicy;
  /** Per partition object: a partition released in a rebalance is garbage with its index. */
  private readonly partitions = new WeakMap<TablePartition<unknown>, PartitionWindows<K>>();
  private closeListeners: Array<(key: K, window: TimeWindow, result: F) => void | Promise<void>> = [];
  /** Events not applied because every window of theirs had closed. */
  lateEvents = 0;
  private readonly indexesKeys: boolean;
  /** A changelog write the producer asked to wait for: awaited before the event ends. */
  private full: Promise<void> | undefined;

  constructor(
    readonly table: WindowedTableSource<V>,
    readonly spec: WindowSpec,
    private readonly options: WindowOptions<K, V, E, F>,
  ) {
    try {
      this.policy = windowPolicy(spec, { graceMs: options.graceMs, expiresMs: options.expiresMs });
    } catch (error) {
      throw new ConfigError(`${table}: ${describeError(error).replace(/^RangeError: /, '')}`);
    }
    if ((spec.kind === 'sliding' || spec.kind === 'session') && !options.aggregate) {
      throw new ConfigError(
        `${table}: ${spec.kind} windows need { aggregate }, e.g. count() or sum((v) => v.amount)`,
      );
    }
    this.indexesKeys = spec.kind === 'sliding' || spec.kind === 'session';
    if (options.onWindowClose) this.closeListeners.push(options.onWindowClose);
    // windows expire: the changelog may delete old segments as well as compact
    table.changelog.config['cleanup.policy'] = 'compact,delete';
    table.changelog.config['retention.ms'] = String(this.policy.expiresMs + this.policy.graceMs);
  }

  /** Adds a listener for closed windows (final results). Returns a function that removes it. */
  onWindowClose(listener: (key: K, window: TimeWindow, result: F) => void | Promise<void>): () => void {
    this.closeListeners.push(listener);
    return () => {
      this.closeListeners = this.closeListeners.filter((l) => l !== listener);
    };
  }

  /**
   * Tumbling and hopping: applies `fn` to the value of `key` in every open window of the
   * current event. An event whose windows all closed is not applied: it is counted in
   * `lateEvents` and handed to `onLateEvent`. `fn` gets the table's default for a new window
   * (undefined when the table has none, as its type says).
   */
  async update(key: K, fn: (current: R) => V): Promise<void> {
    const spec = this.spec;
    if (spec.kind === 'sliding' || spec.kind === 'session') {
      throw new StromError('CONFIG', `${this.table}: ${spec.kind} windows are written with add(key, value)`);
    }
    const { partition, event, windows, time, streamTime } = await this.begin();
    const { open, late } = assignTimeWindows(spec, time, this.policy.graceMs, streamTime);
    if (late) this.late(key, time, event);
    for (const window of open) {
      const id = encodeWindowedKey(key, window);
      const current = ((await partition.get(id)) ?? this.table.defaultFor()) as R;
      this.write(partition, windows, key, id, window, fn(current));
    }
    await this.advance(partition, windows);
  }

  /** Folds `value` into the windows of `key` for the current event, with the `aggregate` option. */
  async add(key: K, value: E): Promise<void> {
    const aggregate = this.options.aggregate;
    if (!aggregate)
      throw new StromError('CONFIG', `${this.table}: add(key, value) needs the { aggregate } option`);
    const spec = this.spec;
    const { partition, event, windows, time, streamTime } = await this.begin();
    if (spec.kind === 'tumbling' || spec.kind === 'hopping') {
      const { open, late } = assignTimeWindows(spec, time, this.policy.graceMs, streamTime);
      if (late) this.late(key, time, event);
      for (const window of open) {
        const id = encodeWindowedKey(key, window);
        const current = (await partition.get(id)) ?? aggregate.init();
        this.write(partition, windows, key, id, window, aggregate.add(current, value));
      }
      await this.advance(partition, windows);
      return;
    }
    const graceMs = this.policy.graceMs;
    if (spec.kind === 'sliding') {
      const d = spec.maxDifferenceMs;
      const range = slidingSearchRange(time, d);
      const stored: SlidingWindowState<V>[] = [];
      for (const id of this.idsOf(windows, key, range.fromMs, range.toMs)) {
        const state = (await partition.get(id)) as unknown as SlidingStored<V> | undefined;
        if (state) stored.push({ window: tryDecodeWindowedKey(id)!.window, ...state });
      }
      const update = applySliding({
        windows: stored,
        timeMs: time,
        value,
        maxDifferenceMs: d,
        graceMs,
        streamTimeMs: streamTime,
        aggregator: aggregate,
      });
      if (update.late) this.late(key, time, event);
      for (const w of update.writes) {
        const state: SlidingStored<V> = { aggregate: w.aggregate, maxRecordMs: w.maxRecordMs };
        this.write(
          partition,
          windows,
          key,
          encodeWindowedKey(key, w.window),
          w.window,
          state as unknown as V,
        );
      }
    } else {
      const range = sessionSearchRange(time, spec.inactivityGapMs);
      const sessions: Array<{ window: TimeWindow; aggregate: V }> = [];
      for (const id of this.idsOf(windows, key, range.fromMs, range.toMs, 'overlap')) {
        const stored = await partition.get(id);
        if (stored !== undefined)
          sessions.push({ window: tryDecodeWindowedKey(id)!.window, aggregate: stored });
      }
      const update = applySession({
        sessions,
        timeMs: time,
        value,
        gapMs: spec.inactivityGapMs,
        graceMs,
        streamTimeMs: streamTime,
        aggregator: aggregate,
      });
      if (update.late) this.late(key, time, event);
      else {
        // the changelog records the merge: old sessions tombstoned, the merged one written
        for (const w of update.removed) this.remove(partition, windows, key, encodeWindowedKey(key, w));
        this.write(
          partition,
          windows,
          key,
          encodeWindowedKey(key, update.write.window),
          update.write.window,
          update.write.aggregate,
        );
      }
    }
    await this.advance(partition, windows);
  }

  /** The value of `key` in the window of the current event (the latest one, for hopping). */
  async current(key: K): Promise<V | undefined> {
    const { partition, event } = this.table.eventPartition();
    const time = this.eventTimeOf(event);
    if (this.spec.kind === 'sliding')
      return this.read(partition, encodeWindowedKey(key, slidingWindowOf(time, this.spec.maxDifferenceMs)));
    if (this.spec.kind === 'session') return (await this.range(key, time, time + 1, 'overlap'))[0]?.value;
    const windows = windowsFor(this.spec, time);
    return this.read(partition, encodeWindowedKey(key, windows[windows.length - 1]!));
  }

  /** The value of `key` in the (latest) window containing time `timeMs`, on the local partitions. */
  async at(key: K, timeMs: number): Promise<V | undefined> {
    const containing = await this.range(key, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
    const hits = containing.filter((w) => w.window.startMs <= timeMs && timeMs < w.window.endMs);
    return hits[hits.length - 1]?.value;
  }

  /** Every window of `key` starting in [fromMs, toMs) (or overlapping it), oldest first. */
  async range(
    key: K,
    fromMs: number,
    toMs: number,
    match: 'start' | 'overlap' = 'start',
  ): Promise<Array<WindowValue<V>>> {
    const found: Array<WindowValue<V>> = [];
    for (const partition of this.table.partitionsHere()) {
      const ids: string[] = [];
      for await (const [id] of partition.entries()) ids.push(id);
      for (const hit of scanWindows<K>(ids, key, fromMs, toMs, match)) {
        const value = await this.read(partition, encodeWindowedKey(key, hit.window));
        if (value !== undefined) found.push({ window: hit.window, value });
      }
    }
    return found.sort((a, b) => a.window.startMs - b.window.startMs || a.window.endMs - b.window.endMs);
  }

  /** Every stored (key, window, value) of the local partitions. */
  async *entries(): AsyncIterable<{ key: K; window: TimeWindow; value: V }> {
    for (const partition of this.table.partitionsHere()) {
      for await (const [id, stored] of partition.entries()) {
        const decoded = tryDecodeWindowedKey<K>(id);
        if (decoded) yield { key: decoded.key, window: decoded.window, value: this.unwrap(stored) };
      }
    }
  }

  /** The aggregate's result for a stored value (identity without an aggregate). */
  resultOf(value: V): F {
    return this.options.aggregate ? this.options.aggregate.result(value) : (value as unknown as F);
  }

  private async begin() {
    const { partition, event } = this.table.eventPartition();
    const windows = await this.windowsOf(partition);
    const time = this.eventTimeOf(event);
    const streamTime = windows.tracker.observe(time);
    return { partition, event, windows, time, streamTime };
  }

  private late(key: K, time: number, event: StreamEvent): void {
    this.lateEvents += 1;
    this.options.onLateEvent?.(key, time, event);
    void this.options.lateTo?.send(event.value as E, { key: event.key, headers: definedHeaders(event) });
  }

  private unwrap(stored: V): V {
    return this.spec.kind === 'sliding' ? (stored as unknown as SlidingStored<V>).aggregate : stored;
  }

  private async read(partition: TablePartition<V>, id: string): Promise<V | undefined> {
    const stored = await partition.get(id);
    return stored === undefined ? undefined : this.unwrap(stored);
  }

  private write(
    partition: TablePartition<V>,
    windows: PartitionWindows<K>,
    key: K,
    id: string,
    window: TimeWindow,
    value: V,
  ): void {
    this.full = partition.write(id, value) ?? this.full;
    windows.tracker.track(id, window);
    this.index(windows, key, id, true);
  }

  private remove(partition: TablePartition<V>, windows: PartitionWindows<K>, key: K, id: string): void {
    this.full = partition.write(id, undefined) ?? this.full;
    windows.tracker.untrack(id);
    this.index(windows, key, id, false);
  }

  private index(windows: PartitionWindows<K>, key: K, id: string, add: boolean): void {
    // only sliding and session writes look windows up by key; tumbling and hopping compute them
    if (!this.indexesKeys) return;
    const keyText = JSON.stringify(key);
    let ids = windows.byKey.get(keyText);
    if (add) {
      if (!ids) windows.byKey.set(keyText, (ids = new Set()));
      ids.add(id);
    } else if (ids) {
      ids.delete(id);
      if (ids.size === 0) windows.byKey.delete(keyText);
    }
  }

  private idsOf(
    windows: PartitionWindows<K>,
    key: K,
    fromMs: number,
    toMs: number,
    match: 'start' | 'overlap' = 'start',
  ): string[] {
    const ids = windows.byKey.get(JSON.stringify(key)) ?? new Set<string>();
    return scanWindows(ids, key, fromMs, toMs, match).map((hit) => encodeWindowedKey(key, hit.window));
  }

  /** A bad event time is the event's fault, not the code's: the agent's error policy dead-letters it. */
  private eventTimeOf(event: StreamEvent): number {
    try {
      return eventTime(this.options, { value: event.value as E, timestamp: event.timestamp });
    } catch (error) {
      throw new Error(`${this.table}: ${describeError(error).replace(/^RangeError: /, '')}`);
    }
  }

  /** The partition's window index; built from what the partition holds (after recovery, too). */
  private async windowsOf(partition: TablePartition<V>): Promise<PartitionWindows<K>> {
    let windows = this.partitions.get(partition as TablePartition<unknown>);
    if (!windows) {
      windows = { tracker: new WindowTracker<K>(this.policy), byKey: new Map() };
      const ids: string[] = [];
      for await (const [id] of partition.entries()) {
        const decoded = tryDecodeWindowedKey<K>(id);
        if (!decoded) continue;
        ids.push(id);
        this.index(windows, decoded.key, id, true);
      }
      const streamTime = (await partition.get(STREAM_TIME_ID)) as unknown as number | undefined;
      windows.tracker.rebuild(ids, typeof streamTime === 'number' ? streamTime : undefined);
      this.partitions.set(partition as TablePartition<unknown>, windows);
    }
    return windows;
  }

  /** Fires onWindowClose for closed windows, then deletes and tombstones expired ones. */
  private async advance(partition: TablePartition<V>, windows: PartitionWindows<K>): Promise<void> {
    const { closed, expired } = windows.tracker.advance();
    // remember how far the partition got, so a restart does not report these windows again
    if (closed.length > 0)
      this.full = partition.write(STREAM_TIME_ID, windows.tracker.streamTimeMs as unknown as V) ?? this.full;
    for (const { id, key, window } of closed) {
      const value = await this.read(partition, id);
      if (value === undefined) continue;
      const result = this.resultOf(value);
      for (const listener of this.closeListeners) await listener(key, window, result);
      const closedTo = this.options.closedTo;
      if (closedTo) {
        await closedTo.send({ key, startMs: window.startMs, endMs: window.endMs, value: result }, { key });
      }
    }
    for (const { id, key } of expired) {
      this.full = partition.write(id, undefined) ?? this.full;
      this.index(windows, key, id, false);
    }
    const full = this.full;
    this.full = undefined;
    if (full !== undefined) await full;
  }
}

function definedHeaders(event: StreamEvent): Headers {
  const headers: Headers = {};
  for (const [name, value] of Object.entries(event.headers)) if (value !== undefined) headers[name] = value;
  return headers;
}
