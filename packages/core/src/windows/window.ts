/**
 * Windows and window kinds. A window is a half-open interval of event time in milliseconds:
 * `[startMs, endMs)`, end exclusive, for every kind (sessions and sliding windows included; see
 * README.md for how Kafka Streams' inclusive bounds map onto it).
 */

/** `[startMs, endMs)`: the event times `t` with `startMs <= t < endMs`. */
export interface TimeWindow {
  readonly startMs: number;
  readonly endMs: number;
}

/** Fixed-size, non-overlapping windows aligned to the epoch: one window per event. */
export interface TumblingWindows {
  readonly kind: 'tumbling';
  readonly sizeMs: number;
}

/** Fixed-size windows that start every `advanceMs`: `ceil(size / advance)`-ish windows per event. */
export interface HoppingWindows {
  readonly kind: 'hopping';
  readonly sizeMs: number;
  readonly advanceMs: number;
}

/** Kafka Streams' SlidingWindows: windows defined by the records, `maxDifferenceMs` wide. */
export interface SlidingWindows {
  readonly kind: 'sliding';
  readonly maxDifferenceMs: number;
}

/** Per-key sessions: records less than `inactivityGapMs` apart (or exactly) share a session. */
export interface SessionWindows {
  readonly kind: 'session';
  readonly inactivityGapMs: number;
}

export type WindowSpec = TumblingWindows | HoppingWindows | SlidingWindows | SessionWindows;

/** Windows whose bounds depend only on the event time (not on other records). */
export type TimeWindowSpec = TumblingWindows | HoppingWindows;

export function tumbling(sizeMs: number): TumblingWindows {
  requireWholeMs('tumbling window size', sizeMs, 1);
  return { kind: 'tumbling', sizeMs };
}

export function hopping(sizeMs: number, advanceMs: number): HoppingWindows {
  requireWholeMs('hopping window size', sizeMs, 1);
  requireWholeMs('hopping window advance', advanceMs, 1);
  if (advanceMs > sizeMs) {
    throw new RangeError(
      `hopping windows: advance (${advanceMs} ms) must not exceed size (${sizeMs} ms), else some events fall in no window`,
    );
  }
  return { kind: 'hopping', sizeMs, advanceMs };
}

export function sliding(maxDifferenceMs: number): SlidingWindows {
  requireWholeMs('sliding window maxDifference', maxDifferenceMs, 0);
  return { kind: 'sliding', maxDifferenceMs };
}

export function session(inactivityGapMs: number): SessionWindows {
  requireWholeMs('session inactivity gap', inactivityGapMs, 1);
  return { kind: 'session', inactivityGapMs };
}

/** `[startMs, endMs)`, checked: whole milliseconds and `startMs < endMs`. */
export function timeWindow(startMs: number, endMs: number): TimeWindow {
  if (!Number.isSafeInteger(startMs) || !Number.isSafeInteger(endMs) || startMs >= endMs) {
    throw new RangeError(`not a window: [${startMs}, ${endMs}) (whole ms, start < end)`);
  }
  return { startMs: startMs + 0, endMs: endMs + 0 }; // + 0 turns -0 into 0
}

export function windowContains(window: TimeWindow, timeMs: number): boolean {
  return window.startMs <= timeMs && timeMs < window.endMs;
}

/** True when the windows share at least one millisecond. */
export function windowsOverlap(a: TimeWindow, b: TimeWindow): boolean {
  return a.startMs < b.endMs && b.startMs < a.endMs;
}

export function sameWindow(a: TimeWindow, b: TimeWindow): boolean {
  return a.startMs === b.startMs && a.endMs === b.endMs;
}

/** Orders by start, then end. */
export function compareWindows(a: TimeWindow, b: TimeWindow): number {
  return a.startMs - b.startMs || a.endMs - b.endMs;
}

/** Throws unless `value` is a whole number of milliseconds, at least `min`. */
export function requireWholeMs(what: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${what} must be a whole number of milliseconds >= ${min}, got ${value}`);
  }
}
