import { describe, expect, it } from 'vitest';
import {
  compareWindows,
  hopping,
  sameWindow,
  session,
  sliding,
  timeWindow,
  tumbling,
  windowContains,
  windowsOverlap,
} from './window.js';

describe('window kinds', () => {
  it('build checked specs', () => {
    expect(tumbling(60_000)).toEqual({ kind: 'tumbling', sizeMs: 60_000 });
    expect(hopping(60_000, 20_000)).toEqual({ kind: 'hopping', sizeMs: 60_000, advanceMs: 20_000 });
    expect(hopping(10, 4)).toEqual({ kind: 'hopping', sizeMs: 10, advanceMs: 4 });
    expect(sliding(0)).toEqual({ kind: 'sliding', maxDifferenceMs: 0 });
    expect(session(30_000)).toEqual({ kind: 'session', inactivityGapMs: 30_000 });
  });

  it('reject sizes that are not positive whole milliseconds, with the value in the message', () => {
    expect(() => tumbling(0)).toThrow(
      'tumbling window size must be a whole number of milliseconds >= 1, got 0',
    );
    expect(() => tumbling(1.5)).toThrow(/got 1.5/);
    expect(() => hopping(10, 0)).toThrow(/advance must be/);
    expect(() => hopping(10, 11)).toThrow('hopping windows: advance (11 ms) must not exceed size (10 ms)');
    expect(() => sliding(-1)).toThrow(/maxDifference must be/);
    expect(() => session(0)).toThrow(/inactivity gap must be/);
    expect(() => tumbling(Number.NaN)).toThrow(/got NaN/);
  });
});

describe('TimeWindow [start, end)', () => {
  it('holds its start, not its end', () => {
    const w = timeWindow(0, 10);
    expect(windowContains(w, 0)).toBe(true);
    expect(windowContains(w, 9)).toBe(true);
    expect(windowContains(w, 10)).toBe(false);
    expect(windowContains(w, -1)).toBe(false);
  });

  it('overlap needs a shared millisecond: touching windows do not overlap', () => {
    expect(windowsOverlap(timeWindow(0, 10), timeWindow(10, 20))).toBe(false);
    expect(windowsOverlap(timeWindow(0, 10), timeWindow(9, 20))).toBe(true);
    expect(windowsOverlap(timeWindow(5, 6), timeWindow(0, 10))).toBe(true);
  });

  it('checks bounds and orders by start then end', () => {
    expect(() => timeWindow(10, 10)).toThrow('not a window: [10, 10)');
    expect(Object.is(timeWindow(-0, 1).startMs, 0)).toBe(true);
    expect([timeWindow(5, 9), timeWindow(0, 10), timeWindow(0, 5)].sort(compareWindows)).toEqual([
      { startMs: 0, endMs: 5 },
      { startMs: 0, endMs: 10 },
      { startMs: 5, endMs: 9 },
    ]);
    expect(sameWindow(timeWindow(0, 5), { startMs: 0, endMs: 5 })).toBe(true);
  });
});
