import { isDeepStrictEqual } from 'node:util';
import { expect, it } from 'vitest';
import { brokers, createTopic, testLogLevel, uniqueName } from '../../../test/support/kafka.js';
import { eventually } from '../../../test/support/produce.js';
import { readRides } from '../rides.js';
import { sendZones, zoneRidesApp } from '../zone_rides.js';
import { readZones } from '../zones.js';

it('zone_rides and vendor_last_pickup equal the joins computed from rides.csv and the zone lookup', {
  timeout: 90_000,
}, async () => {
  const ridesTopic = await createTopic(uniqueName('zr-rides'), { partitions: 2 });
  const zonesTopic = await createTopic(uniqueName('zr-zones'), { partitions: 2 });
  const { app, rides, zones, zoneRides, vendorLastPickup } = zoneRidesApp({
    id: uniqueName('zone-rides'),
    broker: brokers(),
    ridesTopic,
    zonesTopic,
  });
  app.log.level = testLogLevel();
  const all = readRides();
  const names = readZones();
  const expectedZoneRides: Record<string, unknown> = {};
  for (const ride of all) {
    const zone = names.get(ride.PULocationID);
    const row = (expectedZoneRides[ride.PULocationID] ??= {
      borough: zone?.borough,
      zone: zone?.zone,
      rides: 0,
    });
    (row as { rides: number }).rides += 1;
  }
  const expectedLastPickup: Record<string, unknown> = {};
  for (const ride of all)
    expectedLastPickup[ride.vendorId] = {
      pickedUpAt: ride.tpep_pickup_datetime,
      ...names.get(ride.PULocationID),
    };

  const worker = app.createWorker();
  await worker.start();
  try {
    await sendZones(zones);
    for (const ride of all) await rides.send(ride, { key: { vendorId: ride.vendorId } });
    await app.flush();
    const done = await eventually(
      async () =>
        isDeepStrictEqual(await zoneRides.toObject(), expectedZoneRides) &&
        isDeepStrictEqual(await vendorLastPickup.toObject(), expectedLastPickup),
      60_000,
    );
    expect(await zoneRides.toObject()).toEqual(expectedZoneRides);
    expect(await vendorLastPickup.toObject()).toEqual(expectedLastPickup);
    expect(done).toBe(true);
  } finally {
    await worker.stop();
    await app.stop();
  }
});
