/**
 * "Did you mean ...?" for names users type: settings, environment variables, CLI options, CSV
 * columns. Names compare without case and separators, so `session.timeout.ms` (Kafka) and
 * `session_timeout_ms` (Faust) find `sessionTimeoutMs`.
 */

/** Lower case, letters and digits only. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, substitution));
    }
    previous = row;
  }
  return previous[b.length]!;
}

/**
 * The known name `name` most likely meant, or undefined when none is close: the same name up to
 * case and separators, else one named in `aliases` (a name from another framework -> ours), else
 * the longest known name that begins `name` or that `name` begins (5 letters at least:
 * `stateDirectory` -> `stateDir`), else the nearest by edit distance if at most a third of the
 * letters differ (at least 2 allowed).
 *
 * @example
 * closestName('sessionTimeout', ['sessionTimeoutMs', 'broker']) // 'sessionTimeoutMs'
 * closestName('bootstrap.servers', ['broker'], { bootstrapservers: 'broker' }) // 'broker'
 */
export function closestName(
  name: string,
  known: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): string | undefined {
  const wanted = normalizeName(name);
  const same = known.find((k) => normalizeName(k) === wanted);
  if (same !== undefined) return same;
  for (const [alias, target] of Object.entries(aliases))
    if (normalizeName(alias) === wanted && known.includes(target)) return target;
  const prefixes = known
    .map((k) => ({ k, n: normalizeName(k) }))
    .filter(
      ({ n }) => Math.min(n.length, wanted.length) >= 5 && (n.startsWith(wanted) || wanted.startsWith(n)),
    )
    .sort((a, b) => b.n.length - a.n.length);
  if (prefixes[0]) return prefixes[0].k;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(wanted.length / 3)) + 1;
  for (const k of known) {
    const distance = editDistance(wanted, normalizeName(k));
    if (distance < bestDistance) {
      best = k;
      bestDistance = distance;
    }
  }
  return best;
}
