import { App, z } from '@strom/core';

const Ride = z.object({ vendorId: z.number().int(), total_amount: z.number() });

export const app = new App({ id: 'rides', broker: 'localhost:9092' });
const rides = app.topic('rides', { value: Ride });
export const vendorRides = app.table<number, number>('vendor_rides', { default: () => 0 });

export const countRides = app.agent(rides, async function countRides(stream) {
  const paid = stream.filter((r) => r.total_amount > 0);
  // a table partition follows the key: repartition by vendor before counting per vendor
  for await (const ride of paid.groupBy((r) => r.vendorId, { name: 'vendorId' })) {
    const count = await vendorRides.update(ride.vendorId, (n) => n + 1);
    console.log(`vendor ${ride.vendorId}: ${count} paid ride(s)`); // ride is typed from the zod schema
  }
});

app.main(); // tsx app.ts worker   (or: strom worker -A app.ts)
