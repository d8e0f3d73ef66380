/**
 * Beyond the course: a stream–table lookup. Each ride is re-keyed by vendor, the running
 * per-vendor statistics in the table `vendor_stats` are updated, and the ride goes on to
 * `datatalks.yellow_taxi_rides.enriched` with its vendor's statistics so far and the names of
 * its pickup and dropoff zones.
 *
 *   tsx examples/taxi/enrich_rides.ts worker
 */
import { App } from '@strom/core';
import { KEEP_HISTORY, RIDES_TOPIC, RIDES_TOPIC_OPTIONS, type TaxiRide } from './rides.js';
import { readZones } from './zones.js';

export interface VendorStats {
  rides: number;
  revenue: number;
}

export interface EnrichedRide extends TaxiRide {
  pickupZone: string;
  dropoffZone: string;
  vendorRidesSoFar: number;
  vendorMeanAmount: number;
}

export const app = new App({ id: 'datatalksclub.stream.enrich', broker: 'localhost:9092' });

const rides = app.topic(RIDES_TOPIC, RIDES_TOPIC_OPTIONS);
export const enriched = app.topic<EnrichedRide, number>('datatalks.yellow_taxi_rides.enriched', {
  config: KEEP_HISTORY,
});
export const vendorStats = app.table<number, VendorStats>('vendor_stats', {
  default: () => ({ rides: 0, revenue: 0 }),
});
const zones = readZones();
const zoneName = (id: number) => zones.get(id)?.zone ?? `zone ${id}`;

export const enrichRides = app.agent(
  rides,
  async function* enrich(stream) {
    for await (const ride of stream.groupBy((r) => r.vendorId, { name: 'vendorId' })) {
      const stats = await vendorStats.update(ride.vendorId, (s) => ({
        rides: s.rides + 1,
        revenue: s.revenue + ride.total_amount,
      }));
      yield {
        ...ride,
        pickupZone: zoneName(ride.PULocationID),
        dropoffZone: zoneName(ride.DOLocationID),
        vendorRidesSoFar: stats.rides,
        vendorMeanAmount: Math.round((stats.revenue / stats.rides) * 100) / 100,
      } satisfies EnrichedRide;
    }
  },
  { sink: [enriched] },
);

app.main();
