/**
 * The course's joins (Kafka Streams lesson 6.8) on the taxi rides:
 *
 * - stream-globalTable: each ride joined with the TLC zone lookup, a global table, on its pickup
 *   and on its dropoff location: borough and zone names, to `datatalks.rides_with_zones`;
 * - stream-stream: each ride joined with the pickup-location events of its pickup zone (a driver
 *   reporting where they wait) within 10 minutes of its pickup time, to
 *   `datatalks.rides_with_pickups`. The pickup-location events are made from the rides, shifted
 *   in time (see {@link pickupLocationsOf}).
 *
 *   tsx examples/taxi/join_rides.ts load     # the zone lookup into the table, pickup locations to their topic
 *   tsx examples/taxi/join_rides.ts worker
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, z } from '@strom/core';
import { KEEP_HISTORY, RIDES_TOPIC, RIDES_TOPIC_OPTIONS, readRides, type TaxiRide } from './rides.js';
import { readZones, type TaxiZone } from './zones.js';

const MINUTE = 60_000;
export const PICKUPS_TOPIC = 'datatalks.pickup_locations';
/** Rides and pickup-location events of one zone join when at most this far apart. */
export const JOIN_WITHIN_MS = 10 * MINUTE;

export const PickupLocation = z.object({
  PULocationID: z.number().int(),
  driverId: z.string(),
  /** When the driver reported the location (ISO 8601 UTC); also the record timestamp. */
  at: z.iso.datetime(),
});
export type PickupLocation = z.infer<typeof PickupLocation>;

export interface RideWithZones {
  vendorId: number;
  tpep_pickup_datetime: string;
  PULocationID: number;
  DOLocationID: number;
  pickupBorough: string | null;
  pickupZone: string | null;
  dropoffBorough: string | null;
  dropoffZone: string | null;
}

export interface RidePickup {
  /** The ride: its pickup time, zone, vendor and amount (rides have no id). */
  ride: string;
  driverId: string;
  minutesApart: number;
}

export const app = new App({ id: 'datatalksclub.stream.joins', broker: 'localhost:9092' });

const rides = app.topic(RIDES_TOPIC, RIDES_TOPIC_OPTIONS);
export const pickupLocations = app.topic(PICKUPS_TOPIC, {
  key: z.number().int(),
  value: PickupLocation,
  partitions: 2,
  config: KEEP_HISTORY,
});
/** LocationID -> borough and zone; every worker holds all of it. */
export const zones = app.globalTable<number, TaxiZone>('taxi_zones');
export const ridesWithZones = app.topic<RideWithZones>('datatalks.rides_with_zones', {
  config: KEEP_HISTORY,
});
export const ridesWithPickups = app.topic<RidePickup>('datatalks.rides_with_pickups', {
  config: KEEP_HISTORY,
});

const pickupTime = (ride: TaxiRide) => Date.parse(ride.tpep_pickup_datetime);
/** Rides come with today's record timestamps: their event time is the pickup time in the value. */
const ridePickupWindow = app.joinWindows<TaxiRide, PickupLocation>('ride-pickups', {
  withinMs: JOIN_WITHIN_MS,
  graceMs: 12 * 60 * MINUTE, // the file is not in pickup-time order
  timestamp: { left: pickupTime, right: (p) => Date.parse(p.at) },
});

/** How the demo's brute-force check names a ride. */
export const rideLabel = (r: TaxiRide) =>
  `${r.tpep_pickup_datetime} zone ${r.PULocationID} vendor ${r.vendorId} $${r.total_amount}`;

export const nameZones = app.agent(
  rides,
  async function* nameZones(stream) {
    yield* stream
      .leftJoin(
        zones,
        (ride) => ride.PULocationID,
        (ride, pickup) => ({ ride, pickup }),
      )
      .leftJoin(
        zones,
        ({ ride }) => ride.DOLocationID,
        ({ ride, pickup }, dropoff): RideWithZones => ({
          vendorId: ride.vendorId,
          tpep_pickup_datetime: ride.tpep_pickup_datetime,
          PULocationID: ride.PULocationID,
          DOLocationID: ride.DOLocationID,
          pickupBorough: pickup?.borough ?? null,
          pickupZone: pickup?.zone ?? null,
          dropoffBorough: dropoff?.borough ?? null,
          dropoffZone: dropoff?.zone ?? null,
        }),
      );
  },
  { sink: [ridesWithZones] },
);

export const matchPickups = app.agent(
  rides,
  async function* matchPickups(stream) {
    // both sides keyed by pickup zone: the rides are re-keyed through a repartition topic
    const byZone = stream.groupBy((ride) => ride.PULocationID, { name: 'ride-pickup-zone' });
    yield* byZone.join(
      pickupLocations,
      ridePickupWindow,
      (ride, pickup): RidePickup => ({
        ride: rideLabel(ride),
        driverId: pickup.driverId,
        minutesApart: Math.round((Date.parse(pickup.at) - pickupTime(ride)) / MINUTE),
      }),
    );
  },
  { sink: [ridesWithPickups] },
);

/**
 * One pickup-location event per ride: a driver in the ride's pickup zone, reporting between 10
 * minutes before and 20 minutes after the pickup (a fixed pattern, so runs agree).
 */
export function pickupLocationsOf(all: readonly TaxiRide[]): PickupLocation[] {
  return all.map((ride, i) => ({
    PULocationID: ride.PULocationID,
    driverId: `driver-${i}`,
    at: new Date(pickupTime(ride) + (((i * 7) % 31) - 10) * MINUTE).toISOString(),
  }));
}

/** The brute-force stream-stream join: every ride with every pickup event of its zone within the window. */
export function ridePickupPairs(all: readonly TaxiRide[], pickups: readonly PickupLocation[]): string[] {
  const pairs: string[] = [];
  for (const ride of all) {
    for (const p of pickups) {
      const apart = Date.parse(p.at) - pickupTime(ride);
      if (p.PULocationID === ride.PULocationID && Math.abs(apart) <= JOIN_WITHIN_MS)
        pairs.push(`${rideLabel(ride)} + ${p.driverId}`);
    }
  }
  return pairs.sort();
}

/**
 * Loads the zone lookup into the global table's changelog — the table's source, as a topic is a
 * GlobalKTable's in Kafka Streams; workers load it at start — and sends the pickup-location
 * events made from `all` rides, each with its report time as the record timestamp.
 */
export async function loadJoinInputs(all: readonly TaxiRide[] = readRides()): Promise<number> {
  // a producer app of its own: the joins app would create its join table's changelog now, before
  // its worker knows the partition count the changelog must copy from the inputs
  const loader = new App({ id: `${app.id}.loader`, broker: 'localhost:9092', logLevel: 'warn' });
  const zoneChangelog = loader.topic<TaxiZone, number>(zones.changelog.name, {
    config: { 'cleanup.policy': 'compact' },
  });
  const pickups = loader.topic(PICKUPS_TOPIC, {
    key: z.number().int(),
    value: PickupLocation,
    partitions: 2,
    config: KEEP_HISTORY,
  });
  await loader.createTopics();
  try {
    for (const [id, zone] of readZones()) await zoneChangelog.send(zone, { key: id });
    const events = pickupLocationsOf(all);
    for (const p of events) await pickups.send(p, { key: p.PULocationID, timestamp: Date.parse(p.at) });
    await loader.flush();
    return events.length;
  } finally {
    await loader.stop();
  }
}

const entry = import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href;
if (entry && process.argv[2] === 'load')
  console.log(`sent ${await loadJoinInputs()} pickup locations; zones loaded`);
else app.main();
