import { describe, expect, it } from 'vitest';
import { aggregate, count } from './aggregates.js';
import {
  applySession,
  isSessionClosed,
  mergeSessions,
  sessionAccepts,
  sessionSearchRange,
  type WindowAggregate,
} from './session.js';

const collect = aggregate<number, number[]>({
  init: () => [],
  add: (acc, t) => [...acc, t].sort((a, b) => a - b),
  merge: (a, b) => [...a, ...b].sort((x, y) => x - y),
});

/** One key's sessions as a table keeps them, with the changelog the writes would produce. */
class SessionKey {
  sessions: WindowAggregate<number[]>[] = [];
  readonly changelog: string[] = [];
  readonly late: number[] = [];
  streamTime = Number.NEGATIVE_INFINITY;

  constructor(
    readonly gapMs: number,
    readonly graceMs = Number.POSITIVE_INFINITY,
  ) {}

  add(t: number): this {
    this.streamTime = Math.max(this.streamTime, t);
    const update = applySession({
      sessions: this.sessions,
      timeMs: t,
      value: t,
      gapMs: this.gapMs,
      graceMs: this.graceMs,
      streamTimeMs: this.streamTime,
      aggregator: collect,
    });
    if (update.late) {
      this.late.push(t);
      return this;
    }
    for (const w of update.removed) this.changelog.push(`[${w.startMs},${w.endMs}) -> null`);
    const { window, aggregate: records } = update.write;
    this.changelog.push(`[${window.startMs},${window.endMs}) -> ${records.join(',')}`);
    this.sessions = this.sessions.filter(
      (s) =>
        !update.removed.some((w) => w.startMs === s.window.startMs) && s.window.startMs !== window.startMs,
    );
    this.sessions.push(update.write);
    return this;
  }

  view(): Record<string, number[]> {
    const sorted = [...this.sessions].sort((a, b) => a.window.startMs - b.window.startMs);
    return Object.fromEntries(sorted.map((s) => [`[${s.window.startMs},${s.window.endMs})`, s.aggregate]));
  }
}

/** Sessions by definition: sorted records split where two neighbours are more than gap apart. */
function expected(records: number[], gapMs: number): Record<string, number[]> {
  const sorted = [...records].sort((a, b) => a - b);
  const groups: number[][] = [];
  for (const t of sorted) {
    const last = groups[groups.length - 1];
    if (last !== undefined && t - last[last.length - 1]! <= gapMs) last.push(t);
    else groups.push([t]);
  }
  return Object.fromEntries(groups.map((g) => [`[${g[0]},${g[g.length - 1]! + 1})`, g]));
}

describe('session windows (Kafka Streams SessionWindows)', () => {
  it('a session is [first, last + 1): a single record at t is [t, t + 1)', () => {
    expect(new SessionKey(10).add(5).view()).toEqual({ '[5,6)': [5] });
  });

  it('records exactly gap apart share a session; gap + 1 apart do not', () => {
    expect(new SessionKey(10).add(0).add(10).view()).toEqual({ '[0,11)': [0, 10] });
    expect(new SessionKey(10).add(0).add(11).view()).toEqual({ '[0,1)': [0], '[11,12)': [11] });
    // the same on the left side
    expect(new SessionKey(10).add(10).add(0).view()).toEqual({ '[0,11)': [0, 10] });
    expect(sessionAccepts({ startMs: 10, endMs: 21 }, 0, 10)).toBe(true);
    expect(sessionAccepts({ startMs: 10, endMs: 21 }, -1, 10)).toBe(false);
    expect(sessionAccepts({ startMs: 10, endMs: 21 }, 30, 10)).toBe(true);
    expect(sessionAccepts({ startMs: 10, endMs: 21 }, 31, 10)).toBe(false);
  });

  it('a record extends a session on either side, and one inside changes only the aggregate', () => {
    const key = new SessionKey(10).add(100).add(105);
    expect(key.view()).toEqual({ '[100,106)': [100, 105] });
    key.add(95); // extends it to the left
    expect(key.view()).toEqual({ '[95,106)': [95, 100, 105] });
    key.add(115); // to the right
    expect(key.view()).toEqual({ '[95,116)': [95, 100, 105, 115] });
    key.add(101); // inside: same window, overwritten
    expect(key.view()).toEqual({ '[95,116)': [95, 100, 101, 105, 115] });
    expect(key.changelog).toEqual([
      '[100,101) -> 100',
      '[100,101) -> null',
      '[100,106) -> 100,105',
      '[100,106) -> null',
      '[95,106) -> 95,100,105',
      '[95,106) -> null',
      '[95,116) -> 95,100,105,115',
      '[95,116) -> 95,100,101,105,115',
    ]);
  });

  it('a record that bridges two sessions merges them: both tombstoned, then the merged one written', () => {
    const key = new SessionKey(10).add(0).add(5).add(30).add(32);
    expect(key.view()).toEqual({ '[0,6)': [0, 5], '[30,33)': [30, 32] });
    key.changelog.length = 0;
    key.add(17); // 12 after 5, 13 before 30: within 10 of neither... so a session of its own
    expect(key.view()).toEqual({ '[0,6)': [0, 5], '[17,18)': [17], '[30,33)': [30, 32] });
    key.changelog.length = 0;
    key.add(12); // 7 after 5 and 5 before 17: bridges [0,6) and [17,18); 30 is 18 away
    expect(key.view()).toEqual({ '[0,18)': [0, 5, 12, 17], '[30,33)': [30, 32] });
    expect(key.changelog).toEqual(['[0,6) -> null', '[17,18) -> null', '[0,18) -> 0,5,12,17']);
    key.changelog.length = 0;
    key.add(25); // 8 after 17, 5 before 30: bridges again
    expect(key.view()).toEqual({ '[0,33)': [0, 5, 12, 17, 25, 30, 32] });
    expect(key.changelog).toEqual(['[0,18) -> null', '[30,33) -> null', '[0,33) -> 0,5,12,17,25,30,32']);
  });

  it('mergeSessions: which sessions a record joins, oldest first, and the result', () => {
    const sessions = [
      { startMs: 20, endMs: 23 },
      { startMs: 0, endMs: 6 },
      { startMs: 60, endMs: 61 },
    ];
    // 15 is 10 after 5 (last of [0,6)) and 5 before 20: it joins both
    expect(mergeSessions(sessions, 15, 10)).toEqual({
      joined: [
        { startMs: 0, endMs: 6 },
        { startMs: 20, endMs: 23 },
      ],
      merged: { startMs: 0, endMs: 23 },
    });
    expect(mergeSessions(sessions, 45, 10)).toEqual({ joined: [], merged: { startMs: 45, endMs: 46 } });
    expect(sessionSearchRange(15, 10)).toEqual({ fromMs: 5, toMs: 26 });
  });

  it('merges aggregates with merge(), oldest first, then adds the record', () => {
    const update = applySession({
      sessions: [
        { window: { startMs: 0, endMs: 6 }, aggregate: 2 },
        { window: { startMs: 17, endMs: 18 }, aggregate: 1 },
      ],
      timeMs: 12,
      value: 'x',
      gapMs: 10,
      graceMs: 5, // [0,6) closes at 6 + 10 + 5 = 21
      streamTimeMs: 17,
      aggregator: count(),
    });
    expect(update).toEqual({
      late: false,
      removed: [
        { startMs: 0, endMs: 6 },
        { startMs: 17, endMs: 18 },
      ],
      write: { window: { startMs: 0, endMs: 18 }, aggregate: 4 },
    });
  });

  describe('closing and late records', () => {
    it('a session closes at end + gap + grace (Kafka Streams: last + gap + grace < stream time)', () => {
      const s = { startMs: 0, endMs: 11 }; // records 0..10
      expect(isSessionClosed(s, 10, 5, 25)).toBe(false);
      expect(isSessionClosed(s, 10, 5, 26)).toBe(true);
    });

    it('an out-of-order record within grace still joins its session', () => {
      // gap 10, grace 5: [0,1) closes at 1 + 10 + 5 = 16
      const key = new SessionKey(10, 5).add(0).add(40).add(8);
      // stream time 40 >= 16: [0,1) is closed, so 8 (which would extend it) is late
      expect(key.late).toEqual([8]);
      const inGrace = new SessionKey(10, 5).add(0).add(14).add(8);
      // stream time 14 < 16: [0,1) is open, 8 joins it, and 14 is within 10 of 8
      expect(inGrace.late).toEqual([]);
      expect(inGrace.view()).toEqual({ '[0,15)': [0, 8, 14] });
    });

    it('a record making a session of its own is late only when that session is already closed', () => {
      // gap 10, grace 0, stream time 40: [t, t + 1) closes at t + 11
      const key = new SessionKey(10, 0).add(40);
      key.add(29); // closes at 40: late
      key.add(30); // closes at 41: open, and 10 before 40: joins it
      expect(key.late).toEqual([29]);
      expect(key.view()).toEqual({ '[30,41)': [30, 40] });
    });

    it('a record that would absorb a closed session is late, even if the merged one would be open', () => {
      // [0,1) closes at 11; at stream time 11 a record at 5 would merge it into [0,6), open until 16:
      // its final value was reported, so (unlike Kafka Streams) the record is not applied
      const key = new SessionKey(10, 0).add(0).add(11).add(5);
      expect(key.late).toEqual([5]);
      expect(key.view()).toEqual({ '[0,1)': [0], '[11,12)': [11] });
    });
  });

  it('matches the definition on random in-order and out-of-order sequences (no lateness)', () => {
    let seed = 987;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 3000; round++) {
      const gap = 1 + random(6);
      const records = Array.from({ length: 1 + random(12) }, () => random(50) - 5);
      const ordered = round % 3 === 0 ? [...records].sort((a, b) => a - b) : records;
      const key = new SessionKey(gap);
      for (const t of ordered) key.add(t);
      expect({ gap, ordered, view: key.view() }).toEqual({ gap, ordered, view: expected(ordered, gap) });
    }
  });
});
