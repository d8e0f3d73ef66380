import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { killAll, spawnApp } from '../../../test/support/processes.js';
import { runDemo } from '../demo.js';
import { readRides } from '../rides.js';

const expected = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../../shared/data/taxi/expected/${name}`, import.meta.url), 'utf8'));

describe('the taxi pipelines on rides.csv (the course numbers)', () => {
  it('count per vendor and the price branches match what the course Faust programs produce', {
    timeout: 120_000,
  }, async () => {
    const result = await runDemo();
    expect(result.rides).toBe(266);
    // joins: every ride named by the zone global table as the lookup names it; the stream-stream
    // join gives the brute-force pairs (685 on rides.csv)
    expect([result.namedRides, result.misnamedRides]).toEqual([266, 0]);
    expect([result.ridePickupPairs, result.bruteForcePairs, result.pairsDiffering]).toEqual([685, 685, 0]);
    expect(result.vendorCounts).toEqual(expected('stream_count_vendor_trips.json').final);
    expect(result.vendorCounts).toEqual({ '1': 87, '2': 179 });
    const branch = expected('branch_price.json');
    expect([result.highAmount, result.lowAmount]).toEqual([
      branch.high_amount_count,
      branch.low_amount_count,
    ]);
    // 1-minute tumbling windows on pickup time equal the course's expected CSV (124 cells)
    const csv = readFileSync(
      new URL('../../../../shared/data/taxi/expected/windowing_eventtime_pickup_1min.csv', import.meta.url),
      'utf8',
    )
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(','))
      .map(([start, vendor, count]) => `${start} ${vendor} ${count}`);
    const got = result.pickupWindows.map(
      ([start, vendor, count]) =>
        `${new Date(start).toISOString().slice(0, 19).replace('T', ' ')} ${vendor} ${count}`,
    );
    expect(csv).toHaveLength(124);
    expect(got.sort()).toEqual(csv.sort());
    // hopping: every ride's revenue lands in the 10 windows containing its pickup minute
    const rides = readRides();
    const cents = (r: { total_amount: number }) => Math.round(r.total_amount * 100);
    const totalCents = result.zoneRevenue.reduce((sum, c) => sum + c[2], 0);
    expect(totalCents).toBe(10 * rides.reduce((sum, r) => sum + cents(r), 0));
    const someRide = rides[0]!;
    const pickup = Date.parse(someRide.tpep_pickup_datetime);
    const windowStart = Math.floor(pickup / 60_000) * 60_000;
    const inWindow = rides.filter(
      (r) =>
        r.PULocationID === someRide.PULocationID &&
        Date.parse(r.tpep_pickup_datetime) >= windowStart &&
        Date.parse(r.tpep_pickup_datetime) < windowStart + 600_000,
    );
    expect(result.zoneRevenue.find((c) => c[0] === windowStart && c[1] === someRide.PULocationID)?.[2]).toBe(
      inWindow.reduce((sum, r) => sum + cents(r), 0),
    );
    // sessions: per zone, pickups sorted; a gap of more than 30 minutes starts a new session
    const expectedSessions: Array<[number, number, number, number]> = [];
    const byZone = new Map<number, number[]>();
    for (const r of rides)
      byZone.set(r.PULocationID, [...(byZone.get(r.PULocationID) ?? []), Date.parse(r.tpep_pickup_datetime)]);
    for (const [zone, pickups] of byZone) {
      const sorted = pickups.sort((a, b) => a - b);
      let start = sorted[0]!;
      let last = start;
      let n = 0;
      for (const t of sorted) {
        if (t - last > 30 * 60_000) {
          expectedSessions.push([zone, start, last, n]);
          start = t;
          n = 0;
        }
        last = t;
        n += 1;
      }
      expectedSessions.push([zone, start, last, n]);
    }
    const order = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]!;
    expect([...result.zoneSessions].sort(order)).toEqual(expectedSessions.sort(order));
    // sliding: the busiest 30-minute stretch of one zone, by brute force over every ride's window
    let busiest = 0;
    for (const pickups of byZone.values()) {
      for (const t of pickups)
        busiest = Math.max(busiest, pickups.filter((u) => u >= t - 30 * 60_000 && u <= t).length);
    }
    expect(result.busiestSlidingWindow).toBe(busiest);
    // stream-table lookup: every ride enriched once; the table holds the per-vendor totals of the data
    expect(result.enriched).toBe(266);
    for (const vendor of ['1', '2']) {
      const mine = rides.filter((r) => String(r.vendorId) === vendor);
      const stats = result.vendorStats[vendor] as { rides: number; revenue: number };
      expect(stats.rides).toBe(mine.length);
      expect(stats.revenue).toBeCloseTo(
        mine.reduce((sum, r) => sum + r.total_amount, 0),
        6,
      );
    }
  });
});

describe('the taxi apps as processes', () => {
  it('strom worker -A runs count_vendor_trips (recovering its table) and strom table reads it back', {
    timeout: 120_000,
  }, async () => {
    // runs after the test above, which left the course topics and a full vendor_rides table
    const worker = spawnApp('packages/cli/bin/strom.js', [
      'worker',
      '-A',
      'examples/taxi/count_vendor_trips.ts',
    ]);
    try {
      await worker.waitFor(/strom worker {2}app=datatalksclub\.stream\.v2/);
      await worker.waitFor(/worker running/);
      worker.child.kill('SIGTERM');
      expect(await worker.exited, worker.lines.slice(-20).join('\n')).toBe(0);
    } finally {
      await killAll([worker]);
    }
    const table = spawnApp('examples/taxi/count_vendor_trips.ts', ['table', 'vendor_rides', '--json']);
    expect(await table.exited, table.lines.join('\n')).toBe(0);
    expect(JSON.parse(table.lines.at(-1) ?? '{}')).toEqual({ '1': 87, '2': 179 });
  });
});
