/**
 * The state of one partition of a stream-stream join, as pure logic: the records of both sides
 * still inside their join window, and the stream time that closes them. The caller applies the
 * returned writes to the join's table partition (so they reach its changelog) and emits the
 * returned results.
 *
 * Rules (times are event times in ms, W = beforeMs + afterMs, G = graceMs, st = stream time, the
 * largest event time seen on the partition over both sides):
 * - a left record at t matches the right records of its key with time in [t - before, t + after];
 * - a record of side S at t is late, and dropped, when t + after(S) + G < st, where after(left) =
 *   afterMs and after(right) = beforeMs (its own window closed, as in Kafka Streams);
 * - a buffered record closes when t + W + G < st: no record accepted from then on can match it.
 *   It is then deleted; if it never matched and its side keeps unmatched records (left and outer
 *   joins), it is returned in `unmatched` — once, and never after one of its matches.
 */
import type { JoinKind } from './types.js';

export type JoinSide = 'left' | 'right';

export interface JoinWindowSpec {
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly graceMs: number;
}

/** A record in the buffer. `seq` tells apart records of one key and time (the source offset). */
export interface BufferedRecord {
  readonly id: string;
  readonly side: JoinSide;
  readonly keyId: string;
  readonly timeMs: number;
  readonly value: unknown;
  matched: boolean;
  closed: boolean;
}

/** What a buffered record is stored as (JSON in the changelog). */
export interface StoredRecord {
  value: unknown;
  matched: boolean;
}

/** A change for the join's table partition: a record (or the stream time) set, or deleted (undefined). */
export type BufferWrite = [id: string, stored: StoredRecord | number | undefined];

export interface JoinStep {
  /** True when the record came too late for its window: nothing else happened. */
  late: boolean;
  /** Matched pairs, oldest buffered record first. */
  matches: Array<{ left: unknown; right: unknown }>;
  /** Closed records that never matched, oldest first (left joins: left ones; outer: both). */
  unmatched: BufferedRecord[];
  /** Writes to apply now; the deletes of `unmatched` records are the caller's, once emitted. */
  writes: BufferWrite[];
}

/** Where the partition keeps its stream time (no record id is a one-element array). */
export const JOIN_STREAM_TIME_ID = JSON.stringify(['\u0000strom:join-stream-time']);

export function bufferId(side: JoinSide, keyId: string, timeMs: number, seq: string): string {
  return `[${JSON.stringify(side)},${keyId},${timeMs},${JSON.stringify(seq)}]`;
}

function parseId(id: string): { side: JoinSide; keyId: string; timeMs: number } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(id);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) return undefined;
  const [side, key, timeMs] = parsed as [unknown, unknown, unknown];
  if ((side !== 'left' && side !== 'right') || typeof timeMs !== 'number') return undefined;
  return { side, keyId: JSON.stringify(key), timeMs };
}

/** Rejects a window that is not whole, non-negative milliseconds. */
export function checkJoinWindow(spec: JoinWindowSpec): void {
  for (const [name, value] of Object.entries(spec)) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`${name} must be a whole number of ms >= 0, got ${String(value)}`);
  }
}

export class JoinBuffer {
  private readonly byKey = new Map<string, BufferedRecord[]>();
  /** Every buffered record by time (closed ones are skipped when they surface). */
  private readonly byTime: BufferedRecord[] = [];
  private sorted = true;
  private streamTime = Number.NEGATIVE_INFINITY;
  private readonly keepsUnmatched: Record<JoinSide, boolean>;
  private readonly closeAfterMs: number;

  constructor(
    private readonly spec: JoinWindowSpec,
    kind: JoinKind,
  ) {
    this.keepsUnmatched = { left: kind !== 'inner', right: kind === 'outer' };
    this.closeAfterMs = spec.beforeMs + spec.afterMs + spec.graceMs;
  }

  get streamTimeMs(): number {
    return this.streamTime;
  }

  /** Records buffered now. */
  get size(): number {
    let n = 0;
    for (const records of this.byKey.values()) n += records.length;
    return n;
  }

  /** Rebuilds the buffer from what the table partition holds (after recovery). */
  load(entries: Iterable<[string, unknown]>): void {
    for (const [id, stored] of entries) {
      if (id === JOIN_STREAM_TIME_ID) {
        if (typeof stored === 'number') this.streamTime = Math.max(this.streamTime, stored);
        continue;
      }
      const parsed = parseId(id);
      if (!parsed || typeof stored !== 'object' || stored === null) continue;
      const record = stored as StoredRecord;
      this.add({ id, ...parsed, value: record.value, matched: record.matched, closed: false });
      this.streamTime = Math.max(this.streamTime, parsed.timeMs);
    }
  }

  /** Joins one record of `side` with the buffered records of the other side, then buffers it. */
  process(side: JoinSide, keyId: string, timeMs: number, seq: string, value: unknown): JoinStep {
    const { beforeMs, afterMs, graceMs } = this.spec;
    const step: JoinStep = { late: false, matches: [], unmatched: [], writes: [] };
    const ownAfter = side === 'left' ? afterMs : beforeMs;
    if (timeMs + ownAfter + graceMs < this.streamTime) {
      step.late = true;
      return step;
    }
    const other: JoinSide = side === 'left' ? 'right' : 'left';
    // left at t sees right in [t - before, t + after]; right at t sees left in [t - after, t + before]
    const fromMs = side === 'left' ? timeMs - beforeMs : timeMs - afterMs;
    const toMs = side === 'left' ? timeMs + afterMs : timeMs + beforeMs;
    const candidates = this.byKey.get(keyId) ?? [];
    const hits = candidates
      .filter((r) => r.side === other && r.timeMs >= fromMs && r.timeMs <= toMs)
      .sort((a, b) => a.timeMs - b.timeMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const hit of hits) {
      step.matches.push(
        side === 'left' ? { left: value, right: hit.value } : { left: hit.value, right: value },
      );
      if (!hit.matched && this.keepsUnmatched[other]) {
        hit.matched = true;
        step.writes.push([hit.id, { value: hit.value, matched: true }]);
      }
    }
    const id = bufferId(side, keyId, timeMs, seq);
    // the same record again (a redelivery after a restart) replaces its earlier copy
    const existing = candidates.find((r) => r.id === id);
    if (existing) this.remove(existing);
    const matched = hits.length > 0 || existing?.matched === true;
    const record: BufferedRecord = { id, side, keyId, timeMs, value, matched, closed: false };
    this.add(record);
    step.writes.push([id, { value, matched: record.matched }]);
    if (timeMs > this.streamTime) {
      this.streamTime = timeMs;
      this.close(step);
    }
    return step;
  }

  /** Closes the records whose window and grace passed stream time. */
  private close(step: JoinStep): void {
    if (!this.sorted) {
      this.byTime.sort((a, b) => a.timeMs - b.timeMs);
      this.sorted = true;
    }
    const limit = this.streamTime - this.closeAfterMs;
    let n = 0;
    while (n < this.byTime.length && this.byTime[n]!.timeMs < limit) {
      const record = this.byTime[n]!;
      n += 1;
      if (record.closed) continue;
      this.remove(record);
      if (!record.matched && this.keepsUnmatched[record.side]) step.unmatched.push(record);
      else step.writes.push([record.id, undefined]);
    }
    if (n > 0) {
      this.byTime.splice(0, n);
      step.writes.push([JOIN_STREAM_TIME_ID, this.streamTime]);
    }
  }

  private add(record: BufferedRecord): void {
    let records = this.byKey.get(record.keyId);
    if (!records) this.byKey.set(record.keyId, (records = []));
    records.push(record);
    const last = this.byTime[this.byTime.length - 1];
    if (last !== undefined && last.timeMs > record.timeMs) this.sorted = false;
    this.byTime.push(record);
  }

  private remove(record: BufferedRecord): void {
    record.closed = true;
    const records = this.byKey.get(record.keyId);
    if (!records) return;
    const index = records.indexOf(record);
    if (index >= 0) records.splice(index, 1);
    if (records.length === 0) this.byKey.delete(record.keyId);
  }
}
