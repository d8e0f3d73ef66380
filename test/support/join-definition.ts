/**
 * The brute-force definition of Strom's stream-stream joins (docs/joins.md), computed over a
 * whole input at once, to compare the joins' results with: unit tests, integration tests and the
 * taxi demo use it.
 *
 * A record is accepted unless it arrives when stream time (the largest time seen so far, both
 * sides) is past its time + its after-side + grace (after-side: afterMs for left records,
 * beforeMs for right ones). Accepted left and right records of one key pair up when the right
 * time is in [left - beforeMs, left + afterMs]. An accepted record with no pair is a result
 * (left joins: left records; outer: both) once the final stream time is past its time +
 * beforeMs + afterMs + graceMs.
 */

export interface JoinInput {
  side: 'left' | 'right';
  key: string;
  timeMs: number;
  /** Names the record in results (unique). */
  id: string;
}

export interface JoinDefinitionWindow {
  beforeMs: number;
  afterMs: number;
  graceMs: number;
}

/** Results as `left+right` labels (`-` for a missing side), sorted; and the late count. */
export function joinDefinition(
  inputs: readonly JoinInput[],
  window: JoinDefinitionWindow,
  kind: 'inner' | 'left' | 'outer',
): { results: string[]; late: number } {
  let streamTime = Number.NEGATIVE_INFINITY;
  const accepted: JoinInput[] = [];
  for (const i of inputs) {
    const after = i.side === 'left' ? window.afterMs : window.beforeMs;
    if (i.timeMs + after + window.graceMs < streamTime) continue;
    accepted.push(i);
    streamTime = Math.max(streamTime, i.timeMs);
  }
  const results: string[] = [];
  const matched = new Set<JoinInput>();
  const rights = accepted.filter((i) => i.side === 'right');
  for (const l of accepted) {
    if (l.side !== 'left') continue;
    for (const r of rights) {
      if (
        l.key === r.key &&
        r.timeMs >= l.timeMs - window.beforeMs &&
        r.timeMs <= l.timeMs + window.afterMs
      ) {
        results.push(`${l.id}+${r.id}`);
        matched.add(l).add(r);
      }
    }
  }
  const closeAfter = window.beforeMs + window.afterMs + window.graceMs;
  for (const i of accepted) {
    const keeps = i.side === 'left' ? kind !== 'inner' : kind === 'outer';
    if (keeps && !matched.has(i) && i.timeMs + closeAfter < streamTime)
      results.push(i.side === 'left' ? `${i.id}+-` : `-+${i.id}`);
  }
  return { results: results.sort(), late: inputs.length - accepted.length };
}
