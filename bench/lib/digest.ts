/**
 * Order-independent digests of ride records, to check that a system's output holds exactly the
 * expected rides (not just the expected number of records). A ride is compared by its fields,
 * not its bytes: Python and JavaScript write the same JSON with different spacing.
 */
import type { TaxiRide } from '../../examples/taxi/rides.js';

const FIELDS = [
  'vendorId',
  'passenger_count',
  'trip_distance',
  'payment_type',
  'total_amount',
  'PULocationID',
  'DOLocationID',
  'tpep_pickup_datetime',
  'tpep_dropoff_datetime',
] as const satisfies ReadonlyArray<keyof TaxiRide>;

/** The ride's fields in a fixed order, `|`-separated; undefined when `value` is not a ride. */
export function canonicalRide(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  let text = '';
  for (const field of FIELDS) {
    const v = record[field];
    if (typeof v !== 'number' && typeof v !== 'string') return undefined;
    text += `${v}|`;
  }
  return text;
}

/** Parses a JSON ride value and returns its canonical text (undefined if it is not one). */
export function canonicalRideBytes(bytes: Buffer | null): string | undefined {
  if (bytes === null) return undefined;
  try {
    return canonicalRide(JSON.parse(bytes.toString('utf8')));
  } catch {
    return undefined;
  }
}

function fnv1a(text: string, basis: number): number {
  let h = basis;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A multiset digest: count and two sums (mod 2^32) of 32-bit hashes of the canonical texts. */
export class Digest {
  count = 0;
  private a = 0;
  private b = 0;

  add(canonical: string): void {
    this.count += 1;
    this.a = (this.a + fnv1a(canonical, 0x811c9dc5)) >>> 0;
    this.b = (this.b + fnv1a(canonical, 0x01234567)) >>> 0;
  }

  equals(other: Digest): boolean {
    return this.count === other.count && this.a === other.a && this.b === other.b;
  }

  toString(): string {
    return `${this.count} records, digest ${this.a.toString(16)}:${this.b.toString(16)}`;
  }
}
