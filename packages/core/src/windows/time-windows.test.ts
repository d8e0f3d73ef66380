import { describe, expect, it } from 'vitest';
import { assignTimeWindows, hoppingWindowsFor, tumblingWindowFor, windowsFor } from './time-windows.js';
import { hopping, tumbling } from './window.js';

const w = (startMs: number, endMs: number) => ({ startMs, endMs });

describe('tumbling windows', () => {
  it('puts t in [floor(t / size) * size, + size)', () => {
    expect(tumblingWindowFor(10, 3)).toEqual(w(0, 10));
    expect(tumblingWindowFor(10, 9)).toEqual(w(0, 10));
    expect(tumblingWindowFor(10, 25)).toEqual(w(20, 30));
  });

  it('an event exactly on a boundary (t = k * size) goes to the window starting at t', () => {
    expect(tumblingWindowFor(10, 0)).toEqual(w(0, 10));
    expect(tumblingWindowFor(10, 10)).toEqual(w(10, 20));
    expect(tumblingWindowFor(60_000, 120_000)).toEqual(w(120_000, 180_000));
  });

  it('negative times floor too, and no window starts at -0', () => {
    expect(tumblingWindowFor(10, -1)).toEqual(w(-10, 0));
    expect(tumblingWindowFor(10, -10)).toEqual(w(-10, 0));
    expect(tumblingWindowFor(10, -11)).toEqual(w(-20, -10));
    expect(Object.is(tumblingWindowFor(10, -0).startMs, 0)).toBe(true);
    expect(Object.is(tumblingWindowFor(10, -5).endMs, 0)).toBe(true);
  });

  it('is exact for large times', () => {
    const t = Number.MAX_SAFE_INTEGER - 1; // 2^53 - 2 = 3 * 3002399751580330
    expect(tumblingWindowFor(3, t)).toEqual(w(t, t + 3));
    expect(tumblingWindowFor(3, t - 1)).toEqual(w(t - 3, t));
  });
});

describe('hopping windows', () => {
  it('size a multiple of advance: size / advance windows, oldest first', () => {
    expect(hoppingWindowsFor(10, 5, 12)).toEqual([w(5, 15), w(10, 20)]);
    expect(hoppingWindowsFor(10, 5, 9)).toEqual([w(0, 10), w(5, 15)]);
    expect(hoppingWindowsFor(60, 20, 61)).toEqual([w(20, 80), w(40, 100), w(60, 120)]);
  });

  it('on a boundary: t = k * advance starts a window and has left the one ending at t', () => {
    expect(hoppingWindowsFor(10, 5, 10)).toEqual([w(5, 15), w(10, 20)]);
  });

  it('size not a multiple of advance: 2 or 3 windows for size 10, advance 4', () => {
    expect(hoppingWindowsFor(10, 4, 9)).toEqual([w(0, 10), w(4, 14), w(8, 18)]);
    expect(hoppingWindowsFor(10, 4, 10)).toEqual([w(4, 14), w(8, 18)]);
    expect(hoppingWindowsFor(10, 4, 12)).toEqual([w(4, 14), w(8, 18), w(12, 22)]);
    expect(hoppingWindowsFor(10, 4, 3)).toEqual([w(-4, 6), w(0, 10)]);
  });

  it('around zero and below it', () => {
    expect(hoppingWindowsFor(10, 3, 0)).toEqual([w(-9, 1), w(-6, 4), w(-3, 7), w(0, 10)]);
    expect(hoppingWindowsFor(10, 3, 1)).toEqual([w(-6, 4), w(-3, 7), w(0, 10)]);
    expect(hoppingWindowsFor(10, 5, -1)).toEqual([w(-10, 0), w(-5, 5)]);
  });

  it('agrees with brute force: every window [k * advance, + size) that holds t', () => {
    for (let size = 1; size <= 12; size++) {
      for (let advance = 1; advance <= size; advance++) {
        for (let t = -30; t <= 30; t++) {
          const brute = [];
          for (let k = -50; k <= 50; k++) {
            const start = k * advance;
            if (start <= t && t < start + size) brute.push(w(start + 0, start + size));
          }
          expect(hoppingWindowsFor(size, advance, t)).toEqual(brute);
        }
      }
    }
  });

  it('with advance = size it is tumbling', () => {
    for (let t = -25; t <= 25; t++) expect(hoppingWindowsFor(10, 10, t)).toEqual([tumblingWindowFor(10, t)]);
  });

  it('windowsFor dispatches on the kind', () => {
    expect(windowsFor(tumbling(10), 10)).toEqual([w(10, 20)]);
    expect(windowsFor(hopping(10, 5), 10)).toEqual([w(5, 15), w(10, 20)]);
  });
});

describe('assignTimeWindows: grace and late events', () => {
  /** Feeds events in order and records what each one updates. */
  function run(spec: Parameters<typeof assignTimeWindows>[0], graceMs: number, events: number[]) {
    let streamTime = Number.NEGATIVE_INFINITY;
    return events.map((t) => {
      streamTime = Math.max(streamTime, t);
      const a = assignTimeWindows(spec, t, graceMs, streamTime);
      return { t, open: a.open.map((x) => x.startMs), closed: a.closed.map((x) => x.startMs), late: a.late };
    });
  }

  it('tumbling 10, grace 5: out of order within grace is applied; after end + grace it is late', () => {
    expect(run(tumbling(10), 5, [3, 12, 7, 14, 9, 15, 8, 16])).toEqual([
      { t: 3, open: [0], closed: [], late: false },
      { t: 12, open: [10], closed: [], late: false },
      { t: 7, open: [0], closed: [], late: false }, // stream time 12 < 10 + 5
      { t: 14, open: [10], closed: [], late: false },
      { t: 9, open: [0], closed: [], late: false }, // 14 < 15: still inside grace
      { t: 15, open: [10], closed: [], late: false }, // stream time reaches 10 + 5: [0,10) closes
      { t: 8, open: [], closed: [0], late: true },
      { t: 16, open: [10], closed: [], late: false },
    ]);
  });

  it('grace 0: an event for the previous window right after the boundary is late', () => {
    expect(run(tumbling(10), 0, [9, 10, 9])).toEqual([
      { t: 9, open: [0], closed: [], late: false },
      { t: 10, open: [10], closed: [], late: false },
      { t: 9, open: [], closed: [0], late: true },
    ]);
  });

  it('hopping: an event may be too late for its older windows and still count in newer ones', () => {
    expect(run(hopping(10, 5), 0, [12, 9, 4])).toEqual([
      { t: 12, open: [5, 10], closed: [], late: false },
      { t: 9, open: [5], closed: [0], late: false }, // [0,10) closed at 10 <= 12
      { t: 4, open: [], closed: [-5, 0], late: true },
    ]);
  });
});
