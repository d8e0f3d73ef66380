/**
 * Tumbling and hopping windows: their bounds depend only on the event time. Windows are aligned
 * to the epoch (time 0) and continue below it, so negative times work the same way.
 */
import { isLate } from './closing.js';
import type { TimeWindow, TimeWindowSpec } from './window.js';

/** `a mod n` in `[0, n)`, also for negative `a` (exact for whole numbers). */
function floorMod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** The tumbling window holding `timeMs`: `[floor(t / size) * size, + size)`. */
export function tumblingWindowFor(sizeMs: number, timeMs: number): TimeWindow {
  const startMs = timeMs - floorMod(timeMs, sizeMs) + 0; // + 0: no -0
  return { startMs, endMs: startMs + sizeMs };
}

/**
 * Every hopping window holding `timeMs`, oldest first: the windows `[k * advance, + size)` with
 * `start <= t < start + size`. With `size` a multiple of `advance` that is `size / advance`
 * windows; otherwise `floor` or `ceil` of it, depending on where `t` falls.
 */
export function hoppingWindowsFor(sizeMs: number, advanceMs: number, timeMs: number): TimeWindow[] {
  const windows: TimeWindow[] = [];
  const latestStart = timeMs - floorMod(timeMs, advanceMs);
  for (let startMs = latestStart; startMs > timeMs - sizeMs; startMs -= advanceMs) {
    windows.push({ startMs: startMs + 0, endMs: startMs + sizeMs });
  }
  return windows.reverse();
}

/** The windows of `spec` that hold `timeMs`, oldest first (tumbling: exactly one). */
export function windowsFor(spec: TimeWindowSpec, timeMs: number): TimeWindow[] {
  return spec.kind === 'tumbling'
    ? [tumblingWindowFor(spec.sizeMs, timeMs)]
    : hoppingWindowsFor(spec.sizeMs, spec.advanceMs, timeMs);
}

export interface TimeWindowAssignment {
  /** Windows to update with the event (still open). */
  readonly open: TimeWindow[];
  /** Windows of the event that are already closed: not updated (count them as dropped). */
  readonly closed: TimeWindow[];
  /** True when no window takes the event: it goes to the late-events hook. */
  readonly late: boolean;
}

/**
 * The windows an event at `timeMs` updates, given the stream time (which already includes this
 * event: `max(previous stream time, timeMs)`). A window is closed when `end + grace <= stream
 * time` (Kafka Streams' rule); an event is late when all its windows are closed.
 */
export function assignTimeWindows(
  spec: TimeWindowSpec,
  timeMs: number,
  graceMs: number,
  streamTimeMs: number,
): TimeWindowAssignment {
  const open: TimeWindow[] = [];
  const closed: TimeWindow[] = [];
  for (const window of windowsFor(spec, timeMs)) {
    (isLate(window.endMs, graceMs, streamTimeMs) ? closed : open).push(window);
  }
  return { open, closed, late: open.length === 0 };
}
