import { describe, expect, it } from 'vitest';
import { count } from './aggregates.js';
import {
  DEFAULT_EXPIRES_MS,
  isLate,
  minExpiresMs,
  NO_STREAM_TIME,
  type WindowPolicy,
  WindowTracker,
  windowPolicy,
} from './closing.js';
import { decodeWindowedKey, encodeWindowedKey } from './key.js';
import { applySession } from './session.js';
import { assignTimeWindows } from './time-windows.js';
import { hopping, session, sliding, type TimeWindowSpec, tumbling } from './window.js';

const id = (key: string, startMs: number, endMs: number) => encodeWindowedKey(key, { startMs, endMs });
const ids = (list: { id: string }[]) => list.map((x) => x.id);

describe('isLate (Kafka Streams: windowEnd + grace <= stream time drops the record)', () => {
  it('is late exactly when stream time reaches end + grace', () => {
    expect(isLate(10, 5, 14)).toBe(false);
    expect(isLate(10, 5, 15)).toBe(true);
    expect(isLate(10, 0, 9)).toBe(false);
    expect(isLate(10, 0, 10)).toBe(true);
    expect(isLate(10, 0, NO_STREAM_TIME)).toBe(false);
  });
});

describe('windowPolicy', () => {
  it('defaults: grace 0, expires one day (or the minimum if larger)', () => {
    expect(windowPolicy(tumbling(60_000))).toEqual({
      spec: tumbling(60_000),
      graceMs: 0,
      expiresMs: DEFAULT_EXPIRES_MS,
      closeAfterMs: 0,
    });
    const twoDays = 2 * DEFAULT_EXPIRES_MS;
    expect(windowPolicy(tumbling(twoDays)).expiresMs).toBe(twoDays);
  });

  it('minimum expiry per kind', () => {
    expect(minExpiresMs(tumbling(10), 5)).toBe(15);
    expect(minExpiresMs(hopping(10, 4), 5)).toBe(15);
    expect(minExpiresMs(sliding(10), 5)).toBe(16); // windows are 11 ms wide
    expect(minExpiresMs(session(30), 5)).toBe(35);
  });

  it('rejects an expiry that would delete windows before they close', () => {
    expect(() => windowPolicy(tumbling(10), { graceMs: 5, expiresMs: 14 })).toThrow(
      'expiresMs (14) must be at least 15 for tumbling windows of 10 ms with graceMs 5',
    );
    expect(() => windowPolicy(session(30), { graceMs: 5, expiresMs: 34 })).toThrow(/at least 35/);
    expect(windowPolicy(tumbling(10), { graceMs: 5, expiresMs: 15 }).expiresMs).toBe(15);
    expect(() => windowPolicy(tumbling(10), { graceMs: -1 })).toThrow(/graceMs must be a whole number/);
  });

  it('sessions close gap + grace after their last record', () => {
    expect(windowPolicy(session(30), { graceMs: 5 }).closeAfterMs).toBe(35);
    expect(windowPolicy(sliding(30), { graceMs: 5 }).closeAfterMs).toBe(5);
  });
});

describe('WindowTracker', () => {
  const a = (startMs: number, endMs: number) => ({
    id: id('a', startMs, endMs),
    key: 'a',
    window: { startMs, endMs },
  });
  const policy = windowPolicy(tumbling(10), { graceMs: 5, expiresMs: 20 });

  it('closes each window once, when stream time reaches end + grace, in order of close time then key', () => {
    const tracker = new WindowTracker(policy);
    tracker.track(id('b', 0, 10));
    tracker.track(id('a', 10, 20));
    tracker.track(id('a', 0, 10));
    tracker.track(id('a', 0, 10)); // idempotent
    expect(tracker.advance(14)).toEqual({ closed: [], expired: [] });
    const at15 = tracker.advance(15);
    expect(ids(at15.closed)).toEqual([id('a', 0, 10), id('b', 0, 10)]);
    expect(at15.closed[0]).toEqual({ id: id('a', 0, 10), key: 'a', window: { startMs: 0, endMs: 10 } });
    expect(tracker.advance(16).closed).toEqual([]);
    expect(tracker.advance(15).closed).toEqual([]);
    expect(ids(tracker.advance(25).closed)).toEqual([id('a', 10, 20)]);
    expect(tracker.advance(100).closed).toEqual([]);
  });

  it('stream time only moves forward', () => {
    const tracker = new WindowTracker(policy);
    expect(tracker.streamTimeMs).toBe(NO_STREAM_TIME);
    expect(tracker.observe(20)).toBe(20);
    expect(tracker.observe(5)).toBe(20);
    tracker.advance(7);
    expect(tracker.streamTimeMs).toBe(20);
  });

  it('expires windows at end + expires, after closing them; a jump can do both at once', () => {
    const tracker = new WindowTracker(policy);
    tracker.track(id('a', 0, 10));
    tracker.track(id('a', 10, 20));
    expect(tracker.advance(15)).toEqual({ closed: [a(0, 10)], expired: [] });
    expect(tracker.advance(25)).toEqual({ closed: [a(10, 20)], expired: [] });
    expect(tracker.advance(29)).toEqual({ closed: [], expired: [] });
    expect(tracker.advance(30)).toEqual({ closed: [], expired: [a(0, 10)] });
    expect(tracker.size).toBe(1);
    const jump = new WindowTracker(policy);
    jump.track(id('a', 0, 10));
    expect(jump.advance(1000)).toEqual({ closed: [a(0, 10)], expired: [a(0, 10)] });
    expect(jump.size).toBe(0);
    expect(jump.advance(2000)).toEqual({ closed: [], expired: [] });
  });

  it('untrack: a session merged away neither closes nor expires', () => {
    const sessions = new WindowTracker(windowPolicy(session(10), { graceMs: 0, expiresMs: 10 }));
    sessions.track(id('k', 0, 1));
    sessions.untrack(id('k', 0, 1));
    sessions.track(id('k', 0, 6)); // closes at 6 + 10
    expect(sessions.advance(15)).toEqual({ closed: [], expired: [] });
    const at16 = sessions.advance(16); // expires 10 after its end too: both at once
    expect(ids(at16.closed)).toEqual([id('k', 0, 6)]);
    expect(ids(at16.expired)).toEqual([id('k', 0, 6)]);
  });

  it('a window tracked when already past its close time is not reported as closed', () => {
    const tracker = new WindowTracker(policy);
    tracker.observe(17);
    tracker.track(id('a', 0, 10));
    expect(tracker.advance(18).closed).toEqual([]);
    expect(ids(tracker.advance(30).expired)).toEqual([id('a', 0, 10)]);
  });

  it('a window tracked past its close time beside open windows of the same end: only they are reported', () => {
    const tracker = new WindowTracker(policy);
    tracker.track(id('b', 0, 10));
    tracker.observe(15); // closes the windows ending at 10 at the next advance
    tracker.track(id('a', 0, 10), { startMs: 0, endMs: 10 });
    expect(tracker.isTracked(id('a', 0, 10))).toBe(true);
    expect(ids(tracker.advance().closed)).toEqual([id('b', 0, 10)]);
    expect(ids(tracker.advance(30).expired)).toEqual([id('a', 0, 10), id('b', 0, 10)]);
    expect(tracker.isTracked(id('a', 0, 10))).toBe(false);
  });

  it('rejects keys that are not windowed keys', () => {
    const tracker = new WindowTracker(policy);
    expect(() => tracker.track('"a"')).toThrow(/not a windowed key/);
    expect(tracker.isTracked('"a"')).toBe(false);
    tracker.untrack('"a"'); // nothing to forget
    expect(tracker.size).toBe(0);
  });
});

/**
 * A windowed count table partition: a store of windowed keys, the tracker, and what closed and
 * expired after each event. `restart()` makes a new worker from the stored keys.
 */
class Partition {
  readonly store = new Map<string, number>();
  readonly log: string[] = [];
  tracker: WindowTracker;

  constructor(readonly policy: WindowPolicy) {
    this.tracker = new WindowTracker(policy);
  }

  event(key: string, t: number): void {
    const streamTime = this.tracker.observe(t);
    const spec = this.policy.spec;
    if (spec.kind === 'session') this.sessionEvent(key, t, streamTime);
    else if (spec.kind === 'sliding') throw new Error('not simulated here (see sliding.test.ts)');
    else this.timeEvent(spec, key, t, streamTime);
    const { closed, expired } = this.tracker.advance();
    for (const c of closed) this.log.push(`t=${t} close ${c.id}=${this.store.get(c.id)}`);
    for (const e of expired) {
      this.store.delete(e.id);
      this.log.push(`t=${t} expire ${e.id}`);
    }
  }

  restart(persistStreamTime: boolean): Partition {
    const next = new Partition(this.policy);
    for (const [k, v] of this.store) next.store.set(k, v);
    next.tracker.rebuild(next.store.keys(), persistStreamTime ? this.tracker.streamTimeMs : undefined);
    return next;
  }

  private timeEvent(spec: TimeWindowSpec, key: string, t: number, streamTime: number): void {
    const { open, late } = assignTimeWindows(spec, t, this.policy.graceMs, streamTime);
    if (late) this.log.push(`t=${t} late`);
    for (const window of open) {
      const wid = encodeWindowedKey(key, window);
      this.store.set(wid, (this.store.get(wid) ?? 0) + 1);
      this.tracker.track(wid);
    }
  }

  private sessionEvent(key: string, t: number, streamTime: number): void {
    const gapMs = this.policy.spec.kind === 'session' ? this.policy.spec.inactivityGapMs : 0;
    const sessions = [...this.store]
      .map(([k, aggregate]) => ({ ...decodeWindowedKey<string>(k), aggregate }))
      .filter((s) => s.key === key);
    const update = applySession({
      sessions,
      timeMs: t,
      value: t,
      gapMs,
      graceMs: this.policy.graceMs,
      streamTimeMs: streamTime,
      aggregator: count(),
    });
    if (update.late) {
      this.log.push(`t=${t} late`);
      return;
    }
    for (const window of update.removed) {
      const wid = encodeWindowedKey(key, window);
      this.store.delete(wid);
      this.tracker.untrack(wid);
    }
    const wid = encodeWindowedKey(key, update.write.window);
    this.store.set(wid, update.write.aggregate);
    this.tracker.track(wid);
  }
}

describe('recovery: rebuild(keys) after a restart', () => {
  const events: [string, number][] = [
    ['a', 1],
    ['b', 3],
    ['a', 12],
    ['a', 8],
    ['b', 17],
    ['a', 24],
    ['b', 31],
    ['a', 9],
    ['a', 45],
    ['b', 52],
    ['a', 66],
    ['b', 90],
  ];

  function compare(policy: WindowPolicy) {
    const original = new Partition(policy);
    for (const [key, t] of events) original.event(key, t);
    for (let crashAfter = 1; crashAfter < events.length; crashAfter++) {
      const before = new Partition(policy);
      for (const [key, t] of events.slice(0, crashAfter)) before.event(key, t);
      const restarted = before.restart(true);
      for (const [key, t] of events.slice(crashAfter)) restarted.event(key, t);
      expect([...before.log, ...restarted.log]).toEqual(original.log);
      expect(restarted.store).toEqual(original.store);
    }
    return original.log;
  }

  it('hopping: the restarted worker closes and expires the same windows as the original', () => {
    const log = compare(windowPolicy(hopping(10, 5), { graceMs: 5, expiresMs: 30 }));
    expect(log.filter((l) => l.includes('close')).length).toBeGreaterThan(5);
    expect(log.filter((l) => l.includes('expire')).length).toBeGreaterThan(5);
    expect(log).toContain('t=9 late');
  });

  it('sessions: the same, with merges', () => {
    const log = compare(windowPolicy(session(6), { graceMs: 2, expiresMs: 20 }));
    expect(log).toContain('t=24 close ["a",8,13]=2');
    expect(log).toContain('t=9 late');
  });

  it('a restarted worker expires windows recovered from before the restart (Faust #385)', () => {
    const policy = windowPolicy(tumbling(10), { graceMs: 0, expiresMs: 10 });
    const first = new Partition(policy);
    first.event('a', 1);
    first.event('a', 11);
    const restarted = first.restart(true);
    restarted.event('a', 25);
    expect(restarted.log).toEqual(['t=25 close ["a",10,20]=1', 't=25 expire ["a",0,10]']);
    expect([...restarted.store.keys()]).toEqual(['["a",10,20]', '["a",20,30]']);
  });

  it('without the stored stream time, windows that closed before the restart close again (at least once)', () => {
    const policy = windowPolicy(tumbling(10), { graceMs: 0, expiresMs: 100 });
    const first = new Partition(policy);
    first.event('a', 1);
    first.event('a', 11);
    expect(first.log).toEqual(['t=11 close ["a",0,10]=1']);
    const restarted = first.restart(false);
    restarted.event('a', 12);
    expect(restarted.log).toEqual(['t=12 close ["a",0,10]=1']);
  });
});
