import { ConfigError, describeError, isStromError } from '../errors/errors.js';
import type { StreamEvent } from '../streams/event.js';
import {
  assignTimeWindows,
  decodeWindowedKey,
  encodeWindowedKey,
  eventTime,
  scanWindows,
  type TimeWindow,
  type TimeWindowSpec,
  tryDecodeWindowedKey,
  type WindowPolicy,
  WindowTracker,
  windowPolicy,
  windowsFor,
} from '../windows/index.js';
import type { Table } from './table.js';
import type { TablePartition } from './table-partition.js';

export interface WindowOptions<K, V, E> {
  /** How long after its end a window is kept (then deleted and tombstoned). Default: max(1 day, size + grace). */
  expiresMs?: number;
  /** How far behind stream time an event may be and still update its window. Default 0. */
  graceMs?: number;
  /** The event time of a value (ms or Date); default: the record timestamp. */
  timestamp?: (value: E) => number | Date | null | undefined;
  /** Called once per window when stream time passes its end + grace: the window's final value. */
  onWindowClose?: (key: K, window: TimeWindow, value: V) => void | Promise<void>;
  /** Called for an event too late for any of its windows (it is not applied). */
  onLateEvent?: (key: K, eventTimeMs: number, event: StreamEvent) => void;
}

/** A window with its value. */
export interface WindowValue<V> {
  window: TimeWindow;
  value: V;
}

/**
 * A table whose keys are (key, window): `update(key, fn)` changes the windows of the event
 * being processed. Stream time — the largest event time seen per partition — decides when a
 * window closes (`onWindowClose`, once, the final result) and expires (deleted, tombstoned);
 * never the wall clock. Changelog keys are `[key, windowStartMs, windowEndMs]` (end exclusive).
 * After a restart the window index is rebuilt from the recovered partition, so old windows
 * still close and expire.
 */
export class WindowedTable<K, V, E = unknown> {
  readonly policy: WindowPolicy;
  private readonly trackers = new Map<TablePartition<V>, WindowTracker<K>>();
  private closeListeners: Array<(key: K, window: TimeWindow, value: V) => void | Promise<void>> = [];
  /** Events not applied because every window of theirs had closed. */
  lateEvents = 0;

  constructor(
    readonly table: Table<V, K, unknown>,
    readonly spec: TimeWindowSpec,
    private readonly options: WindowOptions<K, V, E>,
  ) {
    try {
      this.policy = windowPolicy(spec, { graceMs: options.graceMs, expiresMs: options.expiresMs });
    } catch (error) {
      throw new ConfigError(`${table}: ${describeError(error).replace(/^RangeError: /, '')}`);
    }
    if (options.onWindowClose) this.closeListeners.push(options.onWindowClose);
    // windows expire: the changelog may delete old segments as well as compact
    table.changelog.config['cleanup.policy'] = 'compact,delete';
    table.changelog.config['retention.ms'] = String(this.policy.expiresMs + this.policy.graceMs);
  }

  /** Adds a listener for closed windows (final results). Returns a function that removes it. */
  onWindowClose(listener: (key: K, window: TimeWindow, value: V) => void | Promise<void>): () => void {
    this.closeListeners.push(listener);
    return () => {
      this.closeListeners = this.closeListeners.filter((l) => l !== listener);
    };
  }

  /**
   * Applies `fn` to the value of `key` in every open window of the current event (one for
   * tumbling, size/advance for hopping). An event whose windows all closed is not applied: it
   * is counted in `lateEvents` and handed to `onLateEvent`.
   */
  async update(key: K, fn: (current: V) => V): Promise<void> {
    const { partition, event } = this.table.eventPartition();
    const tracker = await this.trackerFor(partition);
    const time = this.eventTimeOf(event);
    const streamTime = tracker.observe(time);
    const { open, late } = assignTimeWindows(this.spec, time, this.policy.graceMs, streamTime);
    if (late) {
      this.lateEvents += 1;
      this.options.onLateEvent?.(key, time, event);
    }
    for (const window of open) {
      const id = encodeWindowedKey(key, window);
      const current = (await partition.get(id)) ?? (this.table.defaultFor() as V);
      this.table.writeId(partition, id, fn(current));
      tracker.track(id);
    }
    await this.advance(partition, tracker);
  }

  /** The value of `key` in the window of the current event (the latest one, for hopping). */
  async current(key: K): Promise<V | undefined> {
    const { partition, event } = this.table.eventPartition();
    const windows = windowsFor(this.spec, this.eventTimeOf(event));
    return this.valueIn(partition, key, windows[windows.length - 1]!);
  }

  /** The value of `key` in the (latest) window containing time `timeMs`, on the local partitions. */
  async at(key: K, timeMs: number): Promise<V | undefined> {
    const windows = windowsFor(this.spec, timeMs);
    const window = windows[windows.length - 1]!;
    for (const partition of this.table.partitionsHere()) {
      const value = await this.valueIn(partition, key, window);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  /** Every window of `key` starting in [fromMs, toMs), oldest first, from the local partitions. */
  async range(key: K, fromMs: number, toMs: number): Promise<Array<WindowValue<V>>> {
    const found: Array<WindowValue<V>> = [];
    for (const partition of this.table.partitionsHere()) {
      const ids: string[] = [];
      for await (const [id] of partition.entries()) ids.push(id);
      for (const hit of scanWindows<K>(ids, key, fromMs, toMs)) {
        const value = await partition.get(encodeWindowedKey(key, hit.window));
        if (value !== undefined) found.push({ window: hit.window, value });
      }
    }
    return found.sort((a, b) => a.window.startMs - b.window.startMs);
  }

  /** Every stored (key, window, value) of the local partitions. */
  async *entries(): AsyncIterable<{ key: K; window: TimeWindow; value: V }> {
    for (const partition of this.table.partitionsHere()) {
      for await (const [id, value] of partition.entries()) {
        const decoded = tryDecodeWindowedKey<K>(id);
        if (decoded) yield { key: decoded.key, window: decoded.window, value };
      }
    }
  }

  private eventTimeOf(event: StreamEvent): number {
    try {
      return eventTime(this.options, { value: event.value as E, timestamp: event.timestamp });
    } catch (error) {
      if (isStromError(error)) throw error;
      throw new ConfigError(`${this.table}: ${describeError(error).replace(/^RangeError: /, '')}`);
    }
  }

  private valueIn(partition: TablePartition<V>, key: K, window: TimeWindow): Promise<V | undefined> {
    return partition.get(encodeWindowedKey(key, window));
  }

  /** The partition's window index; built from what the partition holds (after recovery, too). */
  private async trackerFor(partition: TablePartition<V>): Promise<WindowTracker<K>> {
    let tracker = this.trackers.get(partition);
    if (!tracker) {
      tracker = new WindowTracker<K>(this.policy);
      const ids: string[] = [];
      for await (const [id] of partition.entries()) if (tryDecodeWindowedKey(id)) ids.push(id);
      tracker.rebuild(ids);
      this.trackers.set(partition, tracker);
    }
    return tracker;
  }

  /** Fires onWindowClose for closed windows, then deletes and tombstones expired ones. */
  private async advance(partition: TablePartition<V>, tracker: WindowTracker<K>): Promise<void> {
    const { closed, expired } = tracker.advance();
    for (const { id, key, window } of closed) {
      const value = await partition.get(id);
      if (value === undefined) continue;
      for (const listener of this.closeListeners) await listener(key, window, value);
    }
    for (const { id } of expired) this.table.writeId(partition, id, undefined);
  }
}

export { decodeWindowedKey };
