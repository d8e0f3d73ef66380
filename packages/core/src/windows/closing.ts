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
import { decodeWindowedKey, tryDecodeWindowedKey } from './key.js';
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

/** What most events get: nothing closed, nothing expired (shared, never filled). */
const NOTHING: WindowTransitions<never> = Object.freeze({
  closed: Object.freeze([]) as unknown as never[],
  expired: Object.freeze([]) as unknown as never[],
});

/**
 * The tracked windows sharing one end time. Close and expiry times are the end plus a constant
 * of the policy, so all of them close together and expire together, and the order of end times
 * is the order of both.
 */
interface EndGroup {
  readonly endMs: number;
  /** Windowed keys of the group; decoded only when they close or expire. */
  readonly ids: Set<string>;
  closed: boolean;
  /** Windows tracked after their close time but before the group was reported (not reported). */
  alreadyClosed?: Set<string>;
}

const ascending = (a: number, b: number) => a - b;

/**
 * The windows of one table partition, grouped by end time, and the partition's stream time. Feed
 * it every window written (`track`) or deleted by a session merge (`untrack`) and every event
 * time (`advance`); it tells which windows closed (exactly once) and which expired. After a
 * restart, `rebuild` it from the stored keys.
 *
 * Per window it keeps one set entry (the key text the table already holds): a tumbling count
 * over many keys keeps hundreds of thousands of windows open, and every object kept per window
 * is heap the garbage collector walks again and again.
 */
export class WindowTracker<K = unknown> {
  private readonly groups = new Map<number, EndGroup>();
  /** End times of groups not yet closed, and of groups not yet expired (each once). */
  private readonly openEnds = new MinHeap<number>(ascending);
  private readonly liveEnds = new MinHeap<number>(ascending);
  private streamTime = NO_STREAM_TIME;
  private count = 0;

  constructor(readonly policy: WindowPolicy) {}

  /** The largest event time seen (or restored); {@link NO_STREAM_TIME} before any. */
  get streamTimeMs(): number {
    return this.streamTime;
  }

  /** How many windows are tracked (open or closed, not yet expired). */
  get size(): number {
    return this.count;
  }

  /** Moves stream time to `max(stream time, timeMs)` and returns it. Closes nothing yet. */
  observe(timeMs: number): number {
    if (timeMs > this.streamTime) this.streamTime = timeMs;
    return this.streamTime;
  }

  /**
   * Starts tracking a stored window (its windowed key; pass its window when known, to skip
   * parsing the key). Idempotent. A window already past its close time is recorded as closed
   * without being reported (it was, before a restart).
   */
  track(id: string, window: TimeWindow = decodeWindowedKey(id).window): void {
    const endMs = window.endMs;
    let group = this.groups.get(endMs);
    if (group === undefined) {
      group = { endMs, ids: new Set(), closed: this.closesBy(endMs) };
      this.groups.set(endMs, group);
      if (!group.closed) this.openEnds.push(endMs);
      this.liveEnds.push(endMs);
    } else if (group.ids.has(id)) {
      return;
    } else if (!group.closed && this.closesBy(endMs)) {
      (group.alreadyClosed ??= new Set()).add(id);
    }
    group.ids.add(id);
    this.count += 1;
  }

  /** Forgets a window deleted for another reason (a session merged into a larger one). */
  untrack(id: string): void {
    if (this.groupOf(id)?.ids.delete(id)) this.count -= 1;
  }

  isTracked(id: string): boolean {
    return this.groupOf(id)?.ids.has(id) ?? false;
  }

  private groupOf(id: string): EndGroup | undefined {
    const endMs = tryDecodeWindowedKey(id)?.window.endMs;
    return endMs === undefined ? undefined : this.groups.get(endMs);
  }

  /**
   * Observes `timeMs` (if given) and returns the windows that closed and expired since the last
   * call. A window closes at most once; both lists are ordered by time, then by key text.
   */
  advance(timeMs?: number): WindowTransitions<K> {
    if (timeMs !== undefined) this.observe(timeMs);
    const nextClose = this.openEnds.peek();
    const nextExpiry = this.liveEnds.peek();
    const closing = nextClose !== undefined && this.closesBy(nextClose);
    const expiring = nextExpiry !== undefined && nextExpiry + this.policy.expiresMs <= this.streamTime;
    if (!closing && !expiring) return NOTHING;
    return { closed: this.popClosed(), expired: this.popExpired() };
  }

  /**
   * Recovery: forgets everything and tracks the stored windowed keys `ids`. Pass the stream time
   * the partition had (persisted with the state) so windows that already closed are not reported
   * again; without it stream time restarts from the next event and windows closed before the
   * restart that are still stored are reported again when it passes them (at least once).
   */
  rebuild(ids: Iterable<string>, streamTimeMs: number = NO_STREAM_TIME): void {
    this.groups.clear();
    this.openEnds.clear();
    this.liveEnds.clear();
    this.count = 0;
    this.streamTime = streamTimeMs;
    for (const id of ids) this.track(id);
  }

  private closesBy(endMs: number): boolean {
    return endMs + this.policy.closeAfterMs <= this.streamTime;
  }

  private popClosed(): TrackedWindow<K>[] {
    const closed: TrackedWindow<K>[] = [];
    for (
      let end = this.openEnds.peek();
      end !== undefined && this.closesBy(end);
      end = this.openEnds.peek()
    ) {
      this.openEnds.pop();
      const group = this.groups.get(end);
      if (group === undefined || group.closed) continue;
      group.closed = true;
      for (const id of sortedIds(group.ids)) {
        if (!group.alreadyClosed?.has(id)) closed.push(tracked(id));
      }
      group.alreadyClosed = undefined;
    }
    return closed;
  }

  private popExpired(): TrackedWindow<K>[] {
    const expired: TrackedWindow<K>[] = [];
    const expiresMs = this.policy.expiresMs;
    for (
      let end = this.liveEnds.peek();
      end !== undefined && end + expiresMs <= this.streamTime;
      end = this.liveEnds.peek()
    ) {
      this.liveEnds.pop();
      const group = this.groups.get(end);
      if (group === undefined) continue;
      this.groups.delete(end);
      this.count -= group.ids.size;
      for (const id of sortedIds(group.ids)) expired.push(tracked(id));
    }
    return expired;
  }
}

function sortedIds(ids: Set<string>): string[] {
  return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function tracked<K>(id: string): TrackedWindow<K> {
  const { key, window } = decodeWindowedKey<K>(id);
  return { id, key, window };
}
