/**
 * Scenario 3, windowed: re-key the rides by pickup zone through a repartition topic and count
 * them per zone in 1-minute tumbling windows of pickup time, every update to the changelog (see
 * table-count.ts for the run and its checks).
 */
import type { TaxiRide } from '../../examples/taxi/rides.js';
import { TableCountScenario } from './table-count.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

function windowStart(ride: TaxiRide): number {
  const time = Date.parse(ride.tpep_pickup_datetime);
  return time - (((time % MINUTE) + MINUTE) % MINUTE);
}

export class WindowedScenario extends TableCountScenario {
  readonly name = 'windowed';
  readonly title = 'Windowed: 1-minute tumbling count per pickup zone';
  readonly work =
    'Decode each ride, re-key it by `PULocationID` through a repartition topic of 4 partitions (as stateful: ' +
    'the input is keyed by vendor, and a zone must be counted in one place), and count rides per zone in ' +
    '1-minute tumbling windows of `tpep_pickup_datetime` (event time): Strom a windowed table ' +
    '(`.tumbling(60_000, { timestamp })`), Faust `Table.tumbling(60).relative_to(<pickup time>)`, kafkajs a `Map` ' +
    'keyed by `[zone,windowStartMs,windowEndMs]`. Every update is one record on the changelog (compact,delete), ' +
    "at-least-once. Windows neither close nor expire during a run: Strom's grace (and kafkajs's late rule) is " +
    "longer than the input's span of pickup times, Faust's `expires` (against the wall clock, which Faust " +
    'expires by) 100 years; so every ride counts and no system writes tombstones or final results, and the work ' +
    "is the same. Strom still tracks each window for closing and expiry (its windowed table's bookkeeping). " +
    "Checked like stateful: one changelog record per ride, each (zone, window)'s counts 1, 2, 3, ... and the " +
    'last one equal to its rides in the input.';
  protected readonly repartitionName = 'pickupZone';
  protected readonly tableName = 'zone_rides_per_minute';
  protected readonly cleanupPolicy = 'compact,delete';
  private firstPickup = Number.POSITIVE_INFINITY;
  private lastPickup = Number.NEGATIVE_INFINITY;

  protected tableKey(ride: TaxiRide): string {
    return `${ride.PULocationID}@${windowStart(ride)}`;
  }

  /**
   * Strom and kafkajs write `[zone,startMs,endMs]`; Faust `[zone,[startSeconds,endSeconds]]`
   * with its window end 0.1 s before the next window's start.
   */
  protected decodeKey(key: string): string | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(key);
    } catch {
      return undefined;
    }
    if (!Array.isArray(parsed)) return undefined;
    const [zone, start, end] = parsed as unknown[];
    if (typeof zone !== 'number') return undefined;
    if (parsed.length === 3 && typeof start === 'number' && end === start + MINUTE) return `${zone}@${start}`;
    if (parsed.length === 2 && Array.isArray(start) && start.length === 2) {
      const [from, to] = start as unknown[];
      if (typeof from !== 'number' || typeof to !== 'number') return undefined;
      const startMs = Math.round(from * 1000);
      return Math.round(to * 1000) === startMs + MINUTE - 100 ? `${zone}@${startMs}` : undefined;
    }
    return undefined;
  }

  override observe(ride: TaxiRide): void {
    super.observe(ride);
    const time = Date.parse(ride.tpep_pickup_datetime);
    if (time < this.firstPickup) this.firstPickup = time;
    if (time > this.lastPickup) this.lastPickup = time;
  }

  /** Longer than the input's span of pickup times, in whole days: no ride is ever late. */
  private graceMs(): number {
    return (Math.ceil(Math.max(0, this.lastPickup - this.firstPickup) / DAY) + 1) * DAY;
  }

  protected override programEnv(): Record<string, string> {
    return { BENCH_GRACE_MS: String(this.graceMs()) };
  }

  override inputFacts(): Record<string, string | number> {
    const zones = new Set([...this.expected.keys()].map((key) => key.slice(0, key.indexOf('@'))));
    return {
      'pickup times': `${new Date(this.firstPickup).toISOString()} to ${new Date(this.lastPickup).toISOString()}`,
      'pickup zones': zones.size,
      '(zone, window) keys': this.expected.size,
      'expected changelog records': this.inputs,
      'grace (Strom, kafkajs)': `${this.graceMs() / DAY} days`,
    };
  }
}
