import { describe, expect, it } from 'vitest';
import { readRides, TaxiRide } from '../rides.js';
import { rideKey, seededRandom, syntheticRides } from '../synthetic.js';

const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe('syntheticRides', () => {
  it('gives the same rides for the same seed, and other rides for another seed', () => {
    const a = [...syntheticRides(500, 7)];
    const b = [...syntheticRides(500, 7)];
    const c = [...syntheticRides(500, 8)];
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // a longer run of the same seed starts with the shorter one
    expect([...syntheticRides(1000, 7)].slice(0, 500)).toEqual(a);
  });

  it('makes valid rides: the taxi schema, ISO-8601 UTC times, pickups in order, values from rides.csv', () => {
    const csv = readRides();
    const vendors = new Set(csv.map((r) => r.vendorId));
    const pickupZones = new Set(csv.map((r) => r.PULocationID));
    const dropoffZones = new Set(csv.map((r) => r.DOLocationID));
    const payments = new Set(csv.map((r) => r.payment_type));
    const rides = [...syntheticRides(2000, 1)];
    expect(rides).toHaveLength(2000);
    let previous = Number.NEGATIVE_INFINITY;
    for (const ride of rides) {
      expect(TaxiRide.safeParse(ride).success).toBe(true);
      expect(Object.keys(ride)).toEqual(Object.keys(csv[0]!));
      expect([1, 2]).toContain(ride.vendorId);
      expect(vendors.has(ride.vendorId)).toBe(true);
      expect(pickupZones.has(ride.PULocationID)).toBe(true);
      expect(dropoffZones.has(ride.DOLocationID)).toBe(true);
      expect(payments.has(ride.payment_type)).toBe(true);
      expect(ride.tpep_pickup_datetime).toMatch(ISO_SECONDS);
      expect(ride.tpep_dropoff_datetime).toMatch(ISO_SECONDS);
      const pickup = Date.parse(ride.tpep_pickup_datetime);
      expect(pickup).toBeGreaterThanOrEqual(previous);
      expect(Date.parse(ride.tpep_dropoff_datetime)).toBeGreaterThanOrEqual(pickup);
      previous = pickup;
      expect(Number.isInteger(Math.round(ride.total_amount * 100))).toBe(true);
      expect(rideKey(ride)).toEqual({ vendorId: ride.vendorId });
    }
    expect(rides[0]!.tpep_pickup_datetime.startsWith('2020-07-01T00:')).toBe(true);
  });

  it('follows the distributions of rides.csv (vendor share, share of rides of $10 or more, mean gap)', () => {
    const csv = readRides();
    const share = (list: readonly TaxiRide[], p: (r: TaxiRide) => boolean) =>
      list.filter(p).length / list.length;
    const rides = [...syntheticRides(20_000, 3)];
    expect(share(rides, (r) => r.vendorId === 2)).toBeCloseTo(
      share(csv, (r) => r.vendorId === 2),
      1,
    );
    expect(share(rides, (r) => r.total_amount >= 10)).toBeCloseTo(
      share(csv, (r) => r.total_amount >= 10),
      1,
    );
    const spanMs =
      Date.parse(rides[rides.length - 1]!.tpep_pickup_datetime) - Date.parse(rides[0]!.tpep_pickup_datetime);
    expect(spanMs / (rides.length - 1)).toBeGreaterThan(900);
    expect(spanMs / (rides.length - 1)).toBeLessThan(1100);
  });

  it('has a uniform seeded PRNG in [0, 1)', () => {
    const random = seededRandom(123);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = random();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
    }
    expect(sum / 10_000).toBeCloseTo(0.5, 1);
  });
});
