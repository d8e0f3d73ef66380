/**
 * The windowed key of a table entry and of its changelog record: the JSON text of
 * `[key, windowStartMs, windowEndMs]` (end exclusive), e.g. `["vendor-1",60000,120000]`.
 *
 * `JSON.stringify` writes no spaces, so every window of one key starts with the same text,
 * `[<key JSON>,` ({@link windowKeyPrefix}): a prefix scan finds them all. Numbers do not sort
 * numerically as text, so filter and sort the hits with {@link scanWindows}.
 */
import { compareWindows, type TimeWindow, timeWindow } from './window.js';

export interface WindowedKey<K = unknown> {
  readonly key: K;
  readonly window: TimeWindow;
}

/** `[key, start, end]` as JSON text. Throws if the key has no JSON form or the window is invalid. */
export function encodeWindowedKey(key: unknown, window: TimeWindow): string {
  const checked = timeWindow(window.startMs, window.endMs);
  return `${windowKeyPrefix(key)}${checked.startMs},${checked.endMs}]`;
}

/** Parses what {@link encodeWindowedKey} wrote; throws a RangeError on anything else. */
export function decodeWindowedKey<K = unknown>(text: string): WindowedKey<K> {
  const decoded = tryDecodeWindowedKey<K>(text);
  if (decoded === undefined) {
    throw new RangeError(`not a windowed key (JSON [key, startMs, endMs] with start < end): ${text}`);
  }
  return decoded;
}

/** Like {@link decodeWindowedKey}, but undefined for text that is not a windowed key. */
export function tryDecodeWindowedKey<K = unknown>(text: string): WindowedKey<K> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
  const [key, startMs, endMs] = parsed as [K, unknown, unknown];
  if (!Number.isSafeInteger(startMs) || !Number.isSafeInteger(endMs)) return undefined;
  if ((startMs as number) >= (endMs as number)) return undefined;
  return { key, window: { startMs: startMs as number, endMs: endMs as number } };
}

/** The text every windowed key of `key` starts with: `[<key JSON>,`. */
export function windowKeyPrefix(key: unknown): string {
  const json = JSON.stringify(key) as string | undefined;
  if (json === undefined)
    throw new RangeError(`a windowed table key must have a JSON form, got ${String(key)}`);
  return `[${json},`;
}

/** Which windows a range selects: those starting in it, or those sharing a millisecond with it. */
export type RangeMatch = 'start' | 'overlap';

/**
 * The windows of `key` among stored windowed keys (e.g. a prefix scan's hits), within
 * `[fromMs, toMs)`, oldest first. `match: 'start'` (default) keeps windows whose start lies in the
 * range, like Kafka Streams' `WindowStore.fetch(key, from, to)` but end exclusive; `'overlap'`
 * keeps every window that shares a millisecond with the range (use it for sessions).
 */
export function scanWindows<K = unknown>(
  ids: Iterable<string>,
  key: unknown,
  fromMs: number,
  toMs: number,
  match: RangeMatch = 'start',
): WindowedKey<K>[] {
  const prefix = windowKeyPrefix(key);
  const hits: WindowedKey<K>[] = [];
  for (const id of ids) {
    if (!id.startsWith(prefix)) continue;
    const decoded = tryDecodeWindowedKey<K>(id);
    if (decoded !== undefined && inRange(decoded.window, fromMs, toMs, match)) hits.push(decoded);
  }
  return hits.sort((a, b) => compareWindows(a.window, b.window));
}

function inRange(window: TimeWindow, fromMs: number, toMs: number, match: RangeMatch): boolean {
  if (match === 'start') return fromMs <= window.startMs && window.startMs < toMs;
  return window.startMs < toMs && fromMs < window.endMs;
}
