/**
 * Synthetic taxi rides for benchmarks and load tests: as many as asked, deterministic for a
 * seed, shaped like the JSON values of the course's producer (see rides.ts) and distributed like
 * the rides of data/rides.csv.
 *
 * How a ride is made (all draws from one seeded PRNG, so the same seed gives the same rides):
 * - trip attributes come from one row of rides.csv picked at random, so they stay consistent
 *   with each other: vendorId, passenger_count, payment_type, and trip_distance, total_amount
 *   and the trip duration, those three scaled together by a factor in [0.85, 1.15);
 * - PULocationID and DOLocationID are drawn each from its own column of rides.csv (every zone
 *   of the file, with the file's frequencies);
 * - pickup times increase: exponential gaps (a Poisson process) of mean `meanGapMs`, from
 *   `start`; the dropoff is the pickup plus the scaled duration. Times are whole seconds.
 *
 * @example
 * for (const ride of syntheticRides(1_000, 42)) console.log(ride.total_amount)
 */
import { RIDES_CSV, readRides, type TaxiRide } from './rides.js';

export interface SyntheticOptions {
  /** First pickup time; default 2020-07-01T00:00:00Z, where rides.csv starts. */
  start?: string | number;
  /**
   * Mean gap between pickups in ms; default 1000 (60 rides a minute, about NYC's yellow-cab
   * rate of July 2020). rides.csv itself is a 265-ride sample, far sparser than the city.
   */
  meanGapMs?: number;
  /** The CSV the distributions come from; default data/rides.csv. */
  file?: string;
}

interface Template {
  vendorId: number;
  passenger_count: number;
  payment_type: number;
  trip_distance: number;
  total_amount: number;
  durationMs: number;
}

interface Distributions {
  templates: Template[];
  pickupZones: number[];
  dropoffZones: number[];
}

const cache = new Map<string, Distributions>();

function distributions(file: string): Distributions {
  let found = cache.get(file);
  if (found === undefined) {
    const rides = readRides(file);
    if (rides.length === 0) throw new Error(`${file} has no rides to learn from`);
    found = {
      templates: rides.map((r) => ({
        vendorId: r.vendorId,
        passenger_count: r.passenger_count,
        payment_type: r.payment_type,
        trip_distance: r.trip_distance,
        total_amount: r.total_amount,
        durationMs: Math.max(0, Date.parse(r.tpep_dropoff_datetime) - Date.parse(r.tpep_pickup_datetime)),
      })),
      pickupZones: rides.map((r) => r.PULocationID),
      dropoffZones: rides.map((r) => r.DOLocationID),
    };
    cache.set(file, found);
  }
  return found;
}

/** sfc32, seeded through splitmix32: fast, 128 bits of state, good enough for sampling. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Milliseconds since the epoch -> "2020-07-01T00:25:32Z" (whole seconds, UTC). */
function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/**
 * `count` rides for `seed`, generated lazily. The same (count, seed, options) always gives the
 * same rides, in the same order; a longer count extends a shorter one.
 */
export function* syntheticRides(
  count: number,
  seed = 1,
  options: SyntheticOptions = {},
): Generator<TaxiRide, void, undefined> {
  if (!Number.isInteger(count) || count < 0) throw new Error(`count must be an integer >= 0, got ${count}`);
  const { templates, pickupZones, dropoffZones } = distributions(options.file ?? RIDES_CSV);
  const meanGapMs = options.meanGapMs ?? 1000;
  const start = options.start ?? '2020-07-01T00:00:00Z';
  let clock = typeof start === 'number' ? start : Date.parse(start);
  if (!Number.isFinite(clock)) throw new Error(`start is not a date: ${String(start)}`);
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  for (let i = 0; i < count; i++) {
    clock += -Math.log(1 - random()) * meanGapMs;
    const pickup = Math.floor(clock / 1000) * 1000;
    const t = pick(templates);
    const scale = 0.85 + 0.3 * random();
    const dropoff = pickup + Math.round((t.durationMs * scale) / 1000) * 1000;
    yield {
      vendorId: t.vendorId,
      passenger_count: t.passenger_count,
      trip_distance: round2(t.trip_distance * scale),
      payment_type: t.payment_type,
      total_amount: round2(t.total_amount * scale),
      PULocationID: pick(pickupZones),
      DOLocationID: pick(dropoffZones),
      tpep_pickup_datetime: isoSeconds(pickup),
      tpep_dropoff_datetime: isoSeconds(dropoff),
    };
  }
}

/** The key the course's producer gives a ride: `{"vendorId": n}`. */
export function rideKey(ride: TaxiRide): { vendorId: number } {
  return { vendorId: ride.vendorId };
}
