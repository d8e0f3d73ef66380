/**
 * A table key as a URL path segment gives it (already percent-decoded): its JSON text — `1`,
 * `"alice"`, `[1,2]`, `{"zone":4}` — as the changelog holds it. Text that is not JSON is taken
 * as a string, so `/tables/users/alice` means the key "alice"; a string that reads as JSON
 * (`"1"`, `"true"`) must be quoted: `/tables/users/%221%22`.
 */
export function parseKeyParam(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A time in ms from a query parameter, or undefined when absent; NaN when not an integer. */
export function parseMsParam(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  return /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
}
