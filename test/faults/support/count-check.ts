/**
 * The verdict of a counting scenario against its truth (the input the test produced), on two
 * levels: the table (per key, the stateful result) and the output (per event id, which events
 * were counted at all). A key can hide a lost event behind a duplicated one; an id cannot.
 */
import type { Truth } from './count-input.js';

export interface CountCheck {
  /** Table: the sum of all counts. */
  counted: number;
  /** Table: sum of the shortfalls of keys counted below their truth (must be 0). */
  lost: number;
  /** Table: sum of the excess of keys counted above their truth (at-least-once over-count). */
  duplicated: number;
  /** Table: the first keys below their truth, for the failure message. */
  short: Array<{ key: string; counted: number; truth: number }>;
  /** Table: keys that were never produced (must be none). */
  unknownKeys: string[];
  /** Output: acknowledged events that no output record carries (must be 0). */
  missingIds: number;
  /** Output: records beyond one per event. */
  duplicatedOutputs: number;
  /** Output: the first missing ids, for the failure message. */
  firstMissingIds: number[];
}

export function checkCounts(
  counts: ReadonlyMap<string, number>,
  truth: Truth,
  outputIds?: { ids: ReadonlyMap<number, number>; acked: readonly number[] },
): CountCheck {
  let counted = 0;
  for (const value of counts.values()) counted += value;
  let lost = 0;
  let duplicated = 0;
  const short: CountCheck['short'] = [];
  for (const [key, want] of truth) {
    const counted = counts.get(key) ?? 0;
    if (counted < want) {
      lost += want - counted;
      if (short.length < 10) short.push({ key, counted, truth: want });
    } else duplicated += counted - want;
  }
  const unknownKeys = [...counts.keys()].filter((key) => !truth.has(key));
  let missingIds = 0;
  let duplicatedOutputs = 0;
  const firstMissingIds: number[] = [];
  if (outputIds) {
    for (const id of outputIds.acked) {
      if (outputIds.ids.has(id)) continue;
      missingIds += 1;
      if (firstMissingIds.length < 10) firstMissingIds.push(id);
    }
    for (const times of outputIds.ids.values()) duplicatedOutputs += times - 1;
  }
  return { counted, lost, duplicated, short, unknownKeys, missingIds, duplicatedOutputs, firstMissingIds };
}
