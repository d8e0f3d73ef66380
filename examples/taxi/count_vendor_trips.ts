/**
 * The course's stream_count_vendor_trips.py: re-key the rides by vendor (groupBy, through the
 * repartition topic) and count them in the table `vendor_rides`. On rides.csv the table ends at
 * {"1": 87, "2": 179}.
 *
 *   tsx examples/taxi/count_vendor_trips.ts worker
 *   tsx examples/taxi/count_vendor_trips.ts table vendor_rides
 */
import { App } from '@strom/core';
import { RIDES_TOPIC, RIDES_TOPIC_OPTIONS } from './rides.js';

export const app = new App({ id: 'datatalksclub.stream.v2', broker: 'localhost:9092' });

const rides = app.topic(RIDES_TOPIC, RIDES_TOPIC_OPTIONS);
export const vendorRides = app.table<number, number>('vendor_rides', { default: () => 0 });

export const countVendorTrips = app.agent(rides, async function process(stream) {
  for await (const ride of stream.groupBy((r) => r.vendorId, { name: 'vendorId' })) {
    await vendorRides.update(ride.vendorId, (count) => count + 1);
  }
});

app.main();
