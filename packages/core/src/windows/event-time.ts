/**
 * The time of an event, which decides its windows: the record timestamp by default, or a time
 * taken from the value (`timestamp: (ride) => Date.parse(ride.pickupAt)`).
 */

export interface EventTimeOptions<V> {
  /**
   * The event time of a value, in ms since the epoch (or a Date). Return undefined or null to
   * fall back to the record timestamp.
   */
  timestamp?: (value: V) => number | Date | null | undefined;
}

/** What {@link eventTime} reads from a record (a StreamEvent fits). */
export interface TimedRecord<V> {
  readonly value: V;
  /** Record timestamp, ms since the epoch. */
  readonly timestamp: number;
}

/**
 * `options.timestamp?.(value) ?? record.timestamp`, in whole milliseconds (fractions are
 * floored). Throws a RangeError for NaN, an invalid Date, or a time outside ±2^53 ms.
 */
export function eventTime<V>(options: EventTimeOptions<V>, record: TimedRecord<V>): number {
  const custom = options.timestamp?.(record.value);
  if (custom !== undefined && custom !== null) {
    return checkedTime(custom instanceof Date ? custom.getTime() : custom, 'the timestamp function returned');
  }
  return checkedTime(record.timestamp, 'the record timestamp is');
}

function checkedTime(timeMs: number, what: string): number {
  if (typeof timeMs !== 'number' || Number.isNaN(timeMs)) {
    throw new RangeError(`event time: ${what} ${String(timeMs)}, not a time in ms (or a valid Date)`);
  }
  const whole = Math.floor(timeMs) + 0;
  if (!Number.isSafeInteger(whole)) {
    throw new RangeError(`event time: ${what} ${timeMs}, outside the range of whole milliseconds`);
  }
  return whole;
}
