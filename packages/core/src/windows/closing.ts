/**
 * When windows close and expire. Everything follows *stream time*: the largest event time seen on
 * the table partition (never the wall clock), so replaying old data behaves like live data and a
 * quiet partition closes nothing until its next event.
 *
 * - A window **closes** when `end + grace <= streamTime` (sessions: `end + gap + grace`, because a
 *   later record within the gap could still extend them). From then on records for it are late
 *   (not applied) and its final value is reported once (`onWindowClose`, Kafka Streams'
 *   `suppress(untilWindowCloses)` / `emitStrategy(onWindowClose)`).
 * - A window **expires** when `end + expires <= streamTime`: it is deleted locally and tombstoned
 *   in the changelog. `expires` must cover closing (see {@link minExpiresMs}).
 */
import { MinHeap } from './heap.js';
import { decodeWindowedKey } from './key.js';
import { requireWholeMs, type TimeWindow, type WindowSpec } from './window.js';

/** Stream time before any event. */
export const NO_STREAM_TIME = Number.NEGATIVE_INFINITY;

/** Kafka Streams' default retention when none is given: one day (or the minimum, if larger). */
export const DEFAULT_EXPIRES_MS = 24 * 60 * 60 * 1000;

/** Kafka Streams' late rule: a window ending at `windowEndMs` (exclusive) takes no more records. */
export function isLate(windowEndMs: number, graceMs: number, streamTimeMs: number): boolean {
  return windowEndMs + graceMs <= streamTimeMs;
}

/** The window kind with its grace and expiry, checked. */
export interface WindowPolicy {
  readonly spec: WindowSpec;
  readonly graceMs: number;
  readonly expiresMs: number;
  /** Time after a window's end until it closes: grace, plus the gap for sessions. */
  readonly closeAfterMs: number;
}

export interface WindowPolicyOptions {
  /** How late (behind stream time) a record may be and still update its window. Default 0. */
  graceMs?: number;
  /** How long after its end a window is kept. Default: max(1 day, minimum). */
  expiresMs?: number;
}

/**
 * The least `expires` allowed: a window must not be deleted while records may still update it,
 * nor while it may still be needed to build a new window.
 *
 * - tumbling, hopping: `size + grace` (Kafka Streams: retention >= size + grace)
 * - sliding: `maxDifference + 1 + grace` (a sliding window is `maxDifference + 1` ms wide here)
 * - session: `gap + grace` (Kafka Streams: retention >= inactivity gap + grace)
 */
export function minExpiresMs(spec: WindowSpec, graceMs: number): number {
  switch (spec.kind) {
    case 'tumbling':
    case 'hopping':
      return spec.sizeMs + graceMs;
    case 'sliding':
      return spec.maxDifferenceMs + 1 + graceMs;
    case 'session':
      return spec.inactivityGapMs + graceMs;
  }
}

export function windowPolicy(spec: WindowSpec, options: WindowPolicyOptions = {}): WindowPolicy {
  const graceMs = options.graceMs ?? 0;
  requireWholeMs('graceMs', graceMs, 0);
  const minimum = minExpiresMs(spec, graceMs);
  const expiresMs = options.expiresMs ?? Math.max(DEFAULT_EXPIRES_MS, minimum);
  requireWholeMs('expiresMs', expiresMs, 0);
  if (expiresMs < minimum) {
    throw new RangeError(
      `expiresMs (${expiresMs}) must be at least ${minimum} for ${describeSpec(spec)} with graceMs ${graceMs}` +
        ': a window may not be deleted before it closes',
    );
  }
  const closeAfterMs = spec.kind === 'session' ? spec.inactivityGapMs + graceMs : graceMs;
  return { spec, graceMs, expiresMs, closeAfterMs };
}

/** The stream time at which `window` closes. */
export function closesAtMs(policy: WindowPolicy, window: TimeWindow): number {
  return window.endMs + policy.closeAfterMs;
}

/** The stream time at which `window` expires (is deleted). */
export function expiresAtMs(policy: WindowPolicy, window: TimeWindow): number {
  return window.endMs + policy.expiresMs;
}

export function isWindowClosed(policy: WindowPolicy, window: TimeWindow, streamTimeMs: number): boolean {
  return closesAtMs(policy, window) <= streamTimeMs;
}

function describeSpec(spec: WindowSpec): string {
  switch (spec.kind) {
    case 'tumbling':
      return `tumbling windows of ${spec.sizeMs} ms`;
    case 'hopping':
      return `hopping windows of ${spec.sizeMs} ms every ${spec.advanceMs} ms`;
    case 'sliding':
      return `sliding windows of maxDifference ${spec.maxDifferenceMs} ms`;
    case 'session':
      return `sessions with a gap of ${spec.inactivityGapMs} ms`;
  }
}

/** A window the tracker reports: its stored key (JSON text), the table key and the window. */
export interface TrackedWindow<K = unknown> {
  readonly id: string;
  readonly key: K;
  readonly window: TimeWindow;
}

export interface WindowTransitions<K = unknown> {
  /** Windows that closed, each reported once, by close time: fire onWindowClose for them first. */
  readonly closed: TrackedWindow<K>[];
  /** Windows to delete (and tombstone), by expiry time; the tracker has forgotten them. */
  readonly expired: TrackedWindow<K>[];
}

interface Entry {
  readonly tracked: TrackedWindow;
  readonly closesAt: number;
  readonly expiresAt: number;
  closed: boolean;
}

const byTime = (field: 'closesAt' | 'expiresAt') => (a: Entry, b: Entry) =>
  a[field] - b[field] || (a.tracked.id < b.tracked.id ? -1 : a.tracked.id > b.tracked.id ? 1 : 0);

/**
 * The windows of one table partition, indexed by close time and by expiry time, and the
 * partition's stream time. Feed it every window written (`track`) or deleted by a session merge
 * (`untrack`) and every event time (`advance`); it tells which windows closed (exactly once) and
 * which expired. After a restart, `rebuild` it from the stored keys.
 */
export class WindowTracker<K = unknown> {
  private readonly entries = new Map<string, Entry>();
  private readonly toClose = new MinHeap<Entry>(byTime('closesAt'));
  private readonly toExpire = new MinHeap<Entry>(byTime('expiresAt'));
  private streamTime = NO_STREAM_TIME;

  constructor(readonly policy: WindowPolicy) {}

  /** The largest event time seen (or restored); {@link NO_STREAM_TIME} before any. */
  get streamTimeMs(): number {
    return this.streamTime;
  }

  /** How many windows are tracked (open or closed, not yet expired). */
  get size(): number {
    return this.entries.size;
  }

  /** Moves stream time to `max(stream time, timeMs)` and returns it. Closes nothing yet. */
  observe(timeMs: number): number {
    if (timeMs > this.streamTime) this.streamTime = timeMs;
    return this.streamTime;
  }

  /**
   * Starts tracking a stored window (its windowed key). Idempotent. A window already past its
   * close time is recorded as closed without being reported (it was, before a restart).
   */
  track(id: string): void {
    if (this.entries.has(id)) return;
    const { key, window } = decodeWindowedKey<K>(id);
    const entry: Entry = {
      tracked: { id, key, window },
      closesAt: closesAtMs(this.policy, window),
      expiresAt: expiresAtMs(this.policy, window),
      closed: false,
    };
    entry.closed = entry.closesAt <= this.streamTime;
    this.entries.set(id, entry);
    if (!entry.closed) this.toClose.push(entry);
    this.toExpire.push(entry);
  }

  /** Forgets a window deleted for another reason (a session merged into a larger one). */
  untrack(id: string): void {
    this.entries.delete(id);
  }

  isTracked(id: string): boolean {
    return this.entries.has(id);
  }

  /**
   * Observes `timeMs` (if given) and returns the windows that closed and expired since the last
   * call. A window closes at most once; both lists are ordered by time, then by key text.
   */
  advance(timeMs?: number): WindowTransitions<K> {
    if (timeMs !== undefined) this.observe(timeMs);
    return { closed: this.popClosed(), expired: this.popExpired() };
  }

  /**
   * Recovery: forgets everything and tracks the stored windowed keys `ids`. Pass the stream time
   * the partition had (persisted with the state) so windows that already closed are not reported
   * again; without it stream time restarts from the next event and windows closed before the
   * restart that are still stored are reported again when it passes them (at least once).
   */
  rebuild(ids: Iterable<string>, streamTimeMs: number = NO_STREAM_TIME): void {
    this.entries.clear();
    this.toClose.clear();
    this.toExpire.clear();
    this.streamTime = streamTimeMs;
    for (const id of ids) this.track(id);
  }

  private popClosed(): TrackedWindow<K>[] {
    const closed: TrackedWindow<K>[] = [];
    for (let top = this.toClose.peek(); top !== undefined && top.closesAt <= this.streamTime; ) {
      this.toClose.pop();
      if (this.entries.get(top.tracked.id) === top && !top.closed) {
        top.closed = true;
        closed.push(top.tracked as TrackedWindow<K>);
      }
      top = this.toClose.peek();
    }
    return closed;
  }

  private popExpired(): TrackedWindow<K>[] {
    const expired: TrackedWindow<K>[] = [];
    for (let top = this.toExpire.peek(); top !== undefined && top.expiresAt <= this.streamTime; ) {
      this.toExpire.pop();
      if (this.entries.get(top.tracked.id) === top) {
        this.entries.delete(top.tracked.id);
        expired.push(top.tracked as TrackedWindow<K>);
      }
      top = this.toExpire.peek();
    }
    return expired;
  }
}
