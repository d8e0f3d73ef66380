/**
 * Beyond the course: activity per pickup zone on pickup time, two ways.
 * - `rides_near_each_other`: sliding windows (Kafka Streams' SlidingWindows) — for each ride, the
 *   rides of its zone within 30 minutes of it.
 * - `zone_sessions`: session windows with a 30-minute inactivity gap — a zone's busy spells.
 * Rides are re-keyed by pickup zone; the grace covers the data's span (see revenue_by_zone.ts).
 *
 *   tsx examples/taxi/zone_activity.ts worker
 */
import { App, count } from '@strom/core';
import { RIDES_TOPIC, RIDES_TOPIC_OPTIONS, type TaxiRide } from './rides.js';

const MINUTE = 60_000;
const pickupTime = (ride: TaxiRide) => Date.parse(ride.tpep_pickup_datetime);
const windowing = { graceMs: 12 * 60 * MINUTE, expiresMs: 24 * 60 * MINUTE, timestamp: pickupTime };

export const app = new App({ id: 'datatalksclub.stream.zones', broker: 'localhost:9092' });

const rides = app.topic(RIDES_TOPIC, RIDES_TOPIC_OPTIONS);

export const ridesNearEachOther = app
  .table<number, number>('rides_near_each_other')
  .sliding(30 * MINUTE, { ...windowing, aggregate: count<TaxiRide>() });

export const zoneSessions = app
  .table<number, number>('zone_sessions')
  .session(30 * MINUTE, { ...windowing, aggregate: count<TaxiRide>() });

export const trackZones = app.agent(rides, async function trackZones(stream) {
  for await (const ride of stream.groupBy((r) => r.PULocationID, { name: 'pickupZone' })) {
    await ridesNearEachOther.add(ride.PULocationID, ride);
    await zoneSessions.add(ride.PULocationID, ride);
  }
});

app.main();
