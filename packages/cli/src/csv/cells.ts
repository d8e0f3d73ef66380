import type { CellKind } from './fields.js';

/** A decimal number as CSV writers print it: `3`, `-4.5`, `1.0` (pandas), `.5`, `1e3`. */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** `2019-10-23 16:39:42`, `2019-10-23T16:39:42.000`, with an optional `Z` or offset. */
const ISO_LIKE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** `10/23/2019 04:39:42 PM`, the NYC Open Data (Socrata) CSV export; 24-hour without AM/PM. */
const US_DATE_TIME =
  /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:\s*([AP])M)?$/i;

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/** `.5` -> 500, `.000123` -> 0: milliseconds, the precision of a JavaScript date. */
function milliseconds(fraction: string | undefined): number {
  return fraction ? Number(fraction.slice(0, 3).padEnd(3, '0')) : 0;
}

/** `+05:30`, `-0400`, `-04`, `Z` -> minutes east of UTC. */
function offsetMinutes(zone: string | undefined): number {
  if (!zone || zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0));
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** False for a clock that does not exist (February 30, 25:00). */
function exists(t: WallClock): boolean {
  const leap = t.year % 4 === 0 && (t.year % 100 !== 0 || t.year % 400 === 0);
  const days = t.month === 2 && leap ? 29 : DAYS_IN_MONTH[t.month - 1];
  return (
    days !== undefined && t.day >= 1 && t.day <= days && t.hour <= 23 && t.minute <= 59 && t.second <= 59
  );
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** The clock as ISO 8601 with `Z`, `.sss` only when not zero. */
function formatUtc(t: WallClock): string {
  const ms = t.millisecond === 0 ? '' : `.${pad(t.millisecond, 3)}`;
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}${ms}Z`;
}

/** The UTC clock of `t` (a clock `offset` minutes east of UTC). */
function toUtc(t: WallClock, offset: number): WallClock {
  const d = new Date(0);
  d.setUTCFullYear(t.year, t.month - 1, t.day); // not Date.UTC: it reads years 0-99 as 19xx
  d.setUTCHours(t.hour, t.minute - offset, t.second, t.millisecond);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
  };
}

function parseTimestamp(text: string): { clock: WallClock; zone: string | undefined } | undefined {
  const iso = ISO_LIKE.exec(text);
  if (iso) {
    const [, year, month, day, hour, minute, second, fraction, zone] = iso;
    return {
      clock: {
        year: Number(year),
        month: Number(month),
        day: Number(day),
        hour: Number(hour),
        minute: Number(minute),
        second: Number(second ?? 0),
        millisecond: milliseconds(fraction),
      },
      zone,
    };
  }
  const us = US_DATE_TIME.exec(text);
  if (!us) return undefined;
  const [, month, day, year, hour, minute, second, fraction, half] = us;
  let h = Number(hour);
  if (half) {
    if (h < 1 || h > 12) return undefined;
    h = (h % 12) + (half.toUpperCase() === 'P' ? 12 : 0);
  }
  const clock = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: h,
    minute: Number(minute),
    second: Number(second ?? 0),
    millisecond: milliseconds(fraction),
  };
  return { clock, zone: undefined };
}

/**
 * A CSV timestamp as ISO 8601 UTC: `2019-10-23T16:39:42Z` (`.sss` only when not zero), or
 * undefined when the text is not a time. A time with `Z` or an offset is that instant. A time
 * without a zone (TLC files: New York wall clock) is read as if it were UTC, as the course does:
 * the printed clock is kept, so the same ride gives the same value from every file format, and
 * one-minute windows line up with the minutes in the file.
 *
 * @example
 * isoTimestamp('2019-10-23 16:39:42')          // '2019-10-23T16:39:42Z'
 * isoTimestamp('2019-10-23T16:39:42.000')      // '2019-10-23T16:39:42Z'
 * isoTimestamp('2019-10-23T16:39:42-04:00')    // '2019-10-23T20:39:42Z'
 */
export function isoTimestamp(text: string): string | undefined {
  const parsed = parseTimestamp(text.trim());
  if (!parsed || !exists(parsed.clock)) return undefined;
  const offset = offsetMinutes(parsed.zone);
  // no Date for the common case (every TLC time): the clock is printed as it is
  return formatUtc(offset === 0 ? parsed.clock : toUtc(parsed.clock, offset));
}

const BOOLEANS: Readonly<Record<string, boolean>> = {
  true: true,
  false: false,
  t: true,
  f: false,
  yes: true,
  no: false,
  y: true,
  n: false,
  '1': true,
  '0': false,
};

/**
 * The value of one cell for a field of `kind`. An empty cell is null, never 0 or "": the
 * schema decides whether the field may be missing. Text that is not of the kind (a word in a
 * number column) stays text, so the schema rejects it with a reason instead of a guess.
 *
 * @example
 * readCell('', 'integer')      // null
 * readCell('1.0', 'integer')   // 1 (pandas writes integers of a column with gaps as floats)
 * readCell('1.5', 'integer')   // 1.5 (the schema's int() refuses it: never truncated)
 */
export function readCell(text: string, kind: CellKind): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  switch (kind) {
    case 'integer':
    case 'number':
      return NUMBER.test(trimmed) ? Number(trimmed) : trimmed;
    case 'boolean':
      return BOOLEANS[trimmed.toLowerCase()] ?? trimmed;
    case 'timestamp':
      return isoTimestamp(trimmed) ?? trimmed;
    case 'text':
      return text;
  }
}
