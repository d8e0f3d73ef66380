import { describe, expect, it } from 'vitest';
import { eventTime } from './event-time.js';

interface Ride {
  pickupAt?: string;
  ms?: number;
}
const record = (value: Ride, timestamp = 1_000) => ({ value, timestamp });

describe('eventTime', () => {
  it('is the record timestamp by default', () => {
    expect(eventTime({}, record({}, 1_700_000_000_000))).toBe(1_700_000_000_000);
  });

  it('or what the timestamp function returns: ms or a Date', () => {
    expect(eventTime({ timestamp: (r: Ride) => r.ms }, record({ ms: 5 }))).toBe(5);
    const fromDate = { timestamp: (r: Ride) => new Date(r.pickupAt ?? '') };
    expect(eventTime(fromDate, record({ pickupAt: '2024-01-01T00:00:00Z' }))).toBe(1_704_067_200_000);
  });

  it('falls back to the record timestamp when the function returns undefined or null', () => {
    expect(eventTime({ timestamp: (r: Ride) => r.ms }, record({}, 77))).toBe(77);
    expect(eventTime({ timestamp: () => null }, record({}, 78))).toBe(78);
  });

  it('whole milliseconds: fractions are floored, negative times are fine, -0 is 0', () => {
    expect(eventTime({ timestamp: () => 1234.9 }, record({}))).toBe(1234);
    expect(eventTime({ timestamp: () => -0.5 }, record({}))).toBe(-1);
    expect(Object.is(eventTime({ timestamp: () => -0 }, record({})), 0)).toBe(true);
  });

  it('rejects NaN with a clear error', () => {
    expect(() => eventTime({ timestamp: () => Number.NaN }, record({}))).toThrow(
      'event time: the timestamp function returned NaN, not a time in ms (or a valid Date)',
    );
    expect(() => eventTime({ timestamp: () => new Date('not a date') }, record({}))).toThrow(
      /timestamp function returned NaN/,
    );
    expect(() => eventTime({}, record({}, Number.NaN))).toThrow(/the record timestamp is NaN/);
  });

  it('rejects infinite and out-of-range times', () => {
    expect(() => eventTime({ timestamp: () => Number.POSITIVE_INFINITY }, record({}))).toThrow(
      /outside the range of whole milliseconds/,
    );
    expect(() => eventTime({ timestamp: () => 2 ** 60 }, record({}))).toThrow(/outside the range/);
  });
});
