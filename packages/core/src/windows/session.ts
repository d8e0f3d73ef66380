/**
 * Session windows (Kafka Streams' SessionWindows). A session of a key is the span from its first
 * to its last record; a record joins a session when it lies within `gap` of it — inclusive: records
 * exactly `gap` apart share a session, `gap + 1` apart do not. A record within `gap` of two
 * sessions bridges them: they merge into one.
 *
 * Bounds: Kafka Streams' session `[first, last]` (both inclusive) is stored here as the window
 * `[first, last + 1)`, end exclusive like every window; a single record at `t` is `[t, t + 1)`.
 */
import type { Aggregator } from './aggregates.js';
import { compareWindows, sameWindow, type TimeWindow } from './window.js';

/** A stored window with its aggregate. */
export interface WindowAggregate<A> {
  readonly window: TimeWindow;
  readonly aggregate: A;
}

/** A session's last record time (its window's end is exclusive). */
export function lastRecordMs(session: TimeWindow): number {
  return session.endMs - 1;
}

/** True when a record at `timeMs` joins `session`: `first - gap <= t <= last + gap`. */
export function sessionAccepts(session: TimeWindow, timeMs: number, gapMs: number): boolean {
  return session.startMs - gapMs <= timeMs && timeMs <= lastRecordMs(session) + gapMs;
}

/**
 * The range to scan (`match: 'overlap'`) for the sessions a record at `timeMs` may join:
 * `[t - gap, t + gap + 1)`.
 */
export function sessionSearchRange(timeMs: number, gapMs: number): { fromMs: number; toMs: number } {
  return { fromMs: timeMs - gapMs, toMs: timeMs + gapMs + 1 };
}

export interface SessionMerge {
  /** Existing sessions the record joins (0, 1, or more when it bridges them), oldest first. */
  readonly joined: TimeWindow[];
  /** The session after the record: the record and every joined session. */
  readonly merged: TimeWindow;
}

/** Which of `sessions` (of one key) a record at `timeMs` joins, and the session that results. */
export function mergeSessions(sessions: readonly TimeWindow[], timeMs: number, gapMs: number): SessionMerge {
  const joined = sessions.filter((s) => sessionAccepts(s, timeMs, gapMs)).sort(compareWindows);
  let startMs = timeMs;
  let endMs = timeMs + 1;
  for (const s of joined) {
    startMs = Math.min(startMs, s.startMs);
    endMs = Math.max(endMs, s.endMs);
  }
  return { joined, merged: { startMs, endMs } };
}

/** A session closes at `end + gap + grace` (no later record within grace can reach it). */
export function isSessionClosed(
  session: TimeWindow,
  gapMs: number,
  graceMs: number,
  streamTimeMs: number,
): boolean {
  return session.endMs + gapMs + graceMs <= streamTimeMs;
}

export type SessionUpdate<A> =
  | {
      readonly late: true;
      /** The session the record would have made. */
      readonly merged: TimeWindow;
    }
  | {
      readonly late: false;
      /** Sessions absorbed into `write` (its own window excluded): delete and tombstone these first. */
      readonly removed: TimeWindow[];
      /** The session to write. */
      readonly write: WindowAggregate<A>;
    };

export interface SessionInput<V, A> {
  /** The key's sessions near the record (at least those in {@link sessionSearchRange}). */
  readonly sessions: ReadonlyArray<WindowAggregate<A>>;
  readonly timeMs: number;
  readonly value: V;
  readonly gapMs: number;
  readonly graceMs: number;
  /** Stream time including this record: `max(previous stream time, timeMs)`. */
  readonly streamTimeMs: number;
  readonly aggregator: Pick<Aggregator<V, A, unknown>, 'init' | 'add' | 'merge'>;
}

/**
 * Applies a record to the sessions of its key. The record is late — nothing changes — when the
 * session it would make is closed, or when it would absorb a closed session (whose final value
 * was already reported). Otherwise the joined sessions are merged (their aggregates with
 * `merge`, oldest first), the record is added, and the caller deletes `removed` and writes `write`.
 */
export function applySession<V, A>(input: SessionInput<V, A>): SessionUpdate<A> {
  const { gapMs, graceMs, streamTimeMs, aggregator } = input;
  const { joined, merged } = mergeSessions(
    input.sessions.map((s) => s.window),
    input.timeMs,
    gapMs,
  );
  const closed = (w: TimeWindow) => isSessionClosed(w, gapMs, graceMs, streamTimeMs);
  if (closed(merged) || joined.some(closed)) return { late: true, merged };

  const aggregates = joined.map((w) => input.sessions.find((s) => sameWindow(s.window, w))!.aggregate);
  const [first, ...rest] = aggregates;
  const base =
    first === undefined ? aggregator.init() : rest.reduce((acc, a) => aggregator.merge(acc, a), first);
  return {
    late: false,
    removed: joined.filter((w) => !sameWindow(w, merged)),
    write: { window: merged, aggregate: aggregator.add(base, input.value) },
  };
}
