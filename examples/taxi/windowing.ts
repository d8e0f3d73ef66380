/**
 * The course's windowing.py: rides per vendor in 1-minute tumbling windows, twice —
 * `vendor_rides_windowed` on processing time (the record timestamp, as the course does) and
 * `vendor_rides_windowed_pickup` on the ride's pickup time. rides.csv is up to 6.8 h out of
 * order on pickup time, so that table needs a grace of at least 7 h (else rides are late and
 * dropped) and keeps windows for 24 h. Its final counts match the course's expected CSV.
 *
 *   tsx examples/taxi/windowing.ts worker
 *
 * The app id differs from count_vendor_trips' (the course uses datatalksclub.stream.v2 for
 * both, run one at a time): two programs with one id running together would be one consumer
 * group and split the rides between them, as in Faust.
 */
import { App } from '@strom/core';
import { RIDES_TOPIC, RIDES_TOPIC_OPTIONS, type TaxiRide } from './rides.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const app = new App({ id: 'datatalksclub.stream.v2-windowing', broker: 'localhost:9092' });

const rides = app.topic(RIDES_TOPIC, RIDES_TOPIC_OPTIONS);

export const perMinute = app
  .table<number, number>('vendor_rides_windowed', { default: () => 0 })
  .tumbling(MINUTE, { expiresMs: HOUR });

export const perMinuteOnPickup = app
  .table<number, number>('vendor_rides_windowed_pickup', { default: () => 0 })
  .tumbling(MINUTE, {
    graceMs: 7 * HOUR,
    expiresMs: 24 * HOUR,
    timestamp: (ride: TaxiRide) => Date.parse(ride.tpep_pickup_datetime),
  });

export const countWindows = app.agent(rides, async function countWindows(stream) {
  for await (const ride of stream.groupBy((r) => r.vendorId, { name: 'vendorId' })) {
    await perMinute.update(ride.vendorId, (n) => n + 1);
    await perMinuteOnPickup.update(ride.vendorId, (n) => n + 1);
  }
});

app.main();
