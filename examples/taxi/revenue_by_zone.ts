/**
 * Beyond the course: revenue per pickup zone in hopping windows of 10 minutes advancing every
 * minute, on pickup time (each ride counts in the ten windows that contain its pickup). Rides
 * are re-keyed by pickup zone first, so one worker owns each zone's windows.
 *
 *   tsx examples/taxi/revenue_by_zone.ts worker
 */
import { App } from '@strom/core';
import { RIDES_TOPIC, RIDES_TOPIC_OPTIONS, type TaxiRide } from './rides.js';

const MINUTE = 60_000;

export const app = new App({ id: 'datatalksclub.stream.revenue', broker: 'localhost:9092' });

const rides = app.topic(RIDES_TOPIC, RIDES_TOPIC_OPTIONS);

/**
 * Cents, so sums are exact. The grace covers the whole data set: after re-keying by zone, the
 * rides of both vendors' partitions arrive interleaved in any order, so a zone may see a ride
 * hours older than the newest it has seen (up to the data's full 7.8 h span), not just the
 * 6.8 h of rides.csv's own order.
 */
export const revenueByZone = app
  .table<number, number>('revenue_by_pickup_zone', { default: () => 0 })
  .hopping(10 * MINUTE, MINUTE, {
    graceMs: 12 * 60 * MINUTE,
    expiresMs: 24 * 60 * MINUTE,
    timestamp: (ride: TaxiRide) => Date.parse(ride.tpep_pickup_datetime),
  });

export const sumRevenue = app.agent(rides, async function sumRevenue(stream) {
  for await (const ride of stream.groupBy((r) => r.PULocationID, { name: 'pickupZone' })) {
    const cents = Math.round(ride.total_amount * 100);
    await revenueByZone.update(ride.PULocationID, (total) => total + cents);
  }
});

app.main();
