/**
 * Beyond the course: table joins. Two tables joined on their key, and one joined by a foreign key.
 *
 * - `rides_per_zone` (pickup LocationID → rides) left-joined with `zone_names` (LocationID → borough
 *   and zone): the table `zone_rides`, one row per pickup zone with its name and count.
 * - `last_ride` (vendorId → the vendor's last ride) joined by the ride's pickup LocationID to
 *   `zone_names`: the table `vendor_last_pickup`, each vendor's last pickup zone by name. The
 *   foreign key changes with every ride: the join follows it.
 *
 * The zone names come from the topic `datatalks.taxi_zones` (`sendZones()` sends the lookup CSV).
 *
 *   tsx examples/taxi/zone_rides.ts worker
 *   strom table zone_rides -A examples/taxi/zone_rides.ts
 */
import { App, z } from '@strom/core';
import { KEEP_HISTORY, RIDES_TOPIC, RIDES_TOPIC_OPTIONS, type TaxiRide } from './rides.js';
import { readZones, type TaxiZone } from './zones.js';

export const ZoneRecord = z.object({ LocationID: z.number().int(), borough: z.string(), zone: z.string() });

export interface ZoneRides {
  borough: string;
  zone: string;
  rides: number;
}

export interface LastPickup {
  pickedUpAt: string;
  borough: string;
  zone: string;
}

export interface ZoneRidesOptions {
  id?: string;
  broker?: string | string[];
  ridesTopic?: string;
  zonesTopic?: string;
}

/** The app, with its names overridable (the tests run it on topics of their own). */
export function zoneRidesApp(options: ZoneRidesOptions = {}) {
  const app = new App({
    id: options.id ?? 'datatalksclub.stream.zone-rides',
    broker: options.broker ?? 'localhost:9092',
  });
  const rides = app.topic(options.ridesTopic ?? RIDES_TOPIC, RIDES_TOPIC_OPTIONS);
  const zones = app.topic(options.zonesTopic ?? 'datatalks.taxi_zones', {
    value: ZoneRecord,
    partitions: 2,
    config: KEEP_HISTORY,
  });
  const ridesPerZone = app.table<number, number>('rides_per_zone', { default: () => 0 });
  const zoneNames = app.table<number, TaxiZone>('zone_names');
  const lastRide = app.table<number, TaxiRide>('last_ride');

  const zoneRides = app.tableJoin(
    ridesPerZone,
    zoneNames,
    (rides, zone): ZoneRides => ({ borough: zone?.borough ?? '', zone: zone?.zone ?? 'unknown', rides }),
    { name: 'zone_rides', kind: 'left' },
  );
  const vendorLastPickup = app.foreignKeyJoin(
    lastRide,
    zoneNames,
    (ride) => ride.PULocationID,
    (ride, zone): LastPickup => ({ pickedUpAt: ride.tpep_pickup_datetime, ...zone }),
    { name: 'vendor_last_pickup' },
  );

  app.agent(zones, async function loadZoneNames(stream) {
    for await (const zone of stream.groupBy((z) => z.LocationID, { name: 'location' }))
      await zoneNames.set(zone.LocationID, { borough: zone.borough, zone: zone.zone });
  });
  app.agent(rides, async function countPickups(stream) {
    for await (const ride of stream.groupBy((r) => r.PULocationID, { name: 'pickup-location' }))
      await ridesPerZone.update(ride.PULocationID, (n) => n + 1);
  });
  app.agent(rides, async function keepLastRide(stream) {
    for await (const ride of stream.groupBy((r) => r.vendorId, { name: 'vendor' }))
      await lastRide.set(ride.vendorId, ride);
  });
  return { app, rides, zones, zoneRides, vendorLastPickup };
}

/** Sends the TLC zone lookup to the zones topic, one record per LocationID. */
export async function sendZones(zonesTopic: ReturnType<typeof zoneRidesApp>['zones']): Promise<number> {
  const zones = readZones();
  for (const [LocationID, zone] of zones) await zonesTopic.send({ LocationID, ...zone });
  return zones.size;
}

export const { app } = zoneRidesApp();
app.main();
