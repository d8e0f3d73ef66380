import { describe, expect, it } from 'vitest';
import { aggregate } from './aggregates.js';
import { applySliding, planSliding, type SlidingWindowState, slidingWindowOf } from './sliding.js';

/** Collects record times: the aggregate shows exactly which records a window holds. */
const collect = aggregate<number, number[]>({
  init: () => [],
  add: (acc, t) => [...acc, t].sort((a, b) => a - b),
  merge: (a, b) => [...a, ...b].sort((x, y) => x - y),
});

/** A key's sliding windows kept the way a table would keep them: by start. */
class SlidingKey {
  readonly windows = new Map<number, SlidingWindowState<number[]>>();
  readonly dropped: string[] = [];
  readonly late: number[] = [];
  streamTime = Number.NEGATIVE_INFINITY;

  constructor(
    readonly d: number,
    readonly graceMs = Number.POSITIVE_INFINITY,
  ) {}

  add(t: number): this {
    this.streamTime = Math.max(this.streamTime, t);
    const update = applySliding({
      windows: [...this.windows.values()],
      timeMs: t,
      value: t,
      maxDifferenceMs: this.d,
      graceMs: this.graceMs,
      streamTimeMs: this.streamTime,
      aggregator: collect,
    });
    if (update.late) this.late.push(t);
    for (const w of update.dropped) this.dropped.push(`[${w.startMs},${w.endMs})`);
    for (const w of update.writes) this.windows.set(w.window.startMs, w);
    return this;
  }

  /** `[start,end) -> records`, by start. */
  view(): Record<string, number[]> {
    const entries = [...this.windows.values()].sort((a, b) => a.window.startMs - b.window.startMs);
    return Object.fromEntries(entries.map((w) => [`[${w.window.startMs},${w.window.endMs})`, w.aggregate]));
  }
}

/**
 * Kafka Streams' sliding windows by definition: every record's left window [t-d, t] and, when
 * not empty, its right window [t+1, t+1+d]; each holds the records within its bounds.
 */
function expected(records: number[], d: number): Record<string, number[]> {
  const starts = new Set<number>();
  for (const r of records) {
    starts.add(r - d);
    if (records.some((x) => x > r && x <= r + 1 + d)) starts.add(r + 1);
  }
  const view: Record<string, number[]> = {};
  for (const s of [...starts].sort((a, b) => a - b)) {
    view[`[${s},${s + d + 1})`] = records.filter((x) => x >= s && x <= s + d).sort((a, b) => a - b);
  }
  return view;
}

describe('sliding windows (Kafka Streams SlidingWindows)', () => {
  it('the window of an event is [t - d, t + 1): Kafka Streams [t - d, t] end exclusive', () => {
    expect(slidingWindowOf(25, 10)).toEqual({ startMs: 15, endMs: 26 });
  });

  it('records at 10, 20, 25 with maxDifference 10: the windows Kafka Streams emits', () => {
    const key = new SlidingKey(10);
    // 10: its left window [0,10] only (nothing after it yet)
    expect(key.add(10).view()).toEqual({ '[0,11)': [10] });
    // 20: left window [10,20] = {10,20} (seeded from [0,10]); 10's right window [11,21] = {20}
    expect(key.add(20).view()).toEqual({ '[0,11)': [10], '[10,21)': [10, 20], '[11,22)': [20] });
    // 25: left window [15,25] = {20,25} (seeded from [11,21]); 20's right window [21,31] = {25}
    expect(key.add(25).view()).toEqual({
      '[0,11)': [10],
      '[10,21)': [10, 20],
      '[11,22)': [20],
      '[15,26)': [20, 25],
      '[21,32)': [25],
    });
  });

  it('an out-of-order record (17 after 25) updates the windows holding it and creates its own two', () => {
    const key = new SlidingKey(10).add(10).add(20).add(25).add(17);
    expect(key.view()).toEqual({
      '[0,11)': [10],
      '[7,18)': [10, 17], // left window of 17, seeded from [0,10]
      '[10,21)': [10, 17, 20],
      '[11,22)': [17, 20],
      '[15,26)': [17, 20, 25],
      '[18,29)': [20, 25], // right window of 17: a copy of [15,25] before 17 was added
      '[21,32)': [25],
    });
    expect(key.view()).toEqual(expected([10, 20, 25, 17], 10));
  });

  it('plans the out-of-order record: updates, and creates with their seeds', () => {
    const stored = [
      { window: { startMs: 0, endMs: 11 }, maxRecordMs: 10 },
      { window: { startMs: 10, endMs: 21 }, maxRecordMs: 20 },
      { window: { startMs: 11, endMs: 22 }, maxRecordMs: 20 },
      { window: { startMs: 15, endMs: 26 }, maxRecordMs: 25 },
      { window: { startMs: 21, endMs: 32 }, maxRecordMs: 25 },
    ];
    expect(planSliding(stored, 17, 10)).toEqual({
      update: [
        { startMs: 10, endMs: 21 },
        { startMs: 11, endMs: 22 },
        { startMs: 15, endMs: 26 },
      ],
      create: [
        {
          window: { startMs: 7, endMs: 18 },
          seed: { startMs: 0, endMs: 11 },
          addRecord: true,
          maxRecordMs: 17,
        },
        {
          window: { startMs: 18, endMs: 29 },
          seed: { startMs: 15, endMs: 26 },
          addRecord: false,
          maxRecordMs: 25,
        },
      ],
    });
  });

  it('records exactly maxDifference apart share a window; maxDifference + 1 apart do not', () => {
    expect(new SlidingKey(10).add(0).add(10).view()).toEqual({
      '[-10,1)': [0],
      '[0,11)': [0, 10],
      '[1,12)': [10],
    });
    expect(new SlidingKey(10).add(0).add(11).view()).toEqual({
      '[-10,1)': [0],
      '[1,12)': [11], // 0's right window, which is also 11's left window
    });
  });

  it('a second record with the same time updates the windows and creates none', () => {
    const key = new SlidingKey(10).add(10).add(20);
    const before = Object.keys(key.view());
    key.add(20);
    expect(Object.keys(key.view())).toEqual(before);
    expect(key.view()).toEqual(expected([10, 20, 20], 10));
  });

  describe('grace', () => {
    it('within grace a late record still updates its open windows; closed ones are dropped', () => {
      // stream time 25, grace 0: windows ending at or before 25 are closed
      const key = new SlidingKey(10, 0).add(10).add(20).add(25).add(17);
      expect(key.late).toEqual([]);
      expect(key.dropped).toEqual(['[10,21)', '[11,22)', '[7,18)']);
      expect(key.view()).toEqual({
        '[0,11)': [10],
        '[10,21)': [10, 20], // closed: unchanged
        '[11,22)': [20], // closed: unchanged
        '[15,26)': [17, 20, 25],
        '[18,29)': [20, 25],
        '[21,32)': [25],
      });
    });

    it('a record is late when even its latest window [t, t + d + 1) is closed', () => {
      // t = 14: latest window [14, 25) closes at 25 + grace 0 <= stream time 25
      const key = new SlidingKey(10, 0).add(25);
      key.add(14);
      expect(key.late).toEqual([14]);
      expect(key.view()).toEqual({ '[15,26)': [25] });
      // t = 15 is in [15, 26), still open: not late
      key.add(15);
      expect(key.late).toEqual([14]);
      expect(key.view()['[15,26)']).toEqual([15, 25]);
    });

    it('the same record inside grace is applied everywhere', () => {
      const key = new SlidingKey(10, 10).add(10).add(20).add(25).add(17);
      expect(key.dropped).toEqual([]);
      expect(key.view()).toEqual(expected([10, 20, 25, 17], 10));
    });
  });

  it('matches the definition on random in-order and out-of-order sequences (no lateness)', () => {
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 3000; round++) {
      const d = random(7);
      const records = Array.from({ length: 1 + random(12) }, () => random(40) - 5);
      const ordered = round % 3 === 0 ? [...records].sort((a, b) => a - b) : records;
      const key = new SlidingKey(d);
      for (const t of ordered) key.add(t);
      expect({ d, ordered, view: key.view() }).toEqual({ d, ordered, view: expected(ordered, d) });
      for (const w of key.windows.values()) expect(w.maxRecordMs).toBe(Math.max(...w.aggregate));
    }
  });
});
