/**
 * The course's Avro producer and consumer pair (6.12-6.13): rides as `RideRecord` values keyed
 * by `RideRecordKey`, in Avro through a schema registry. The Avro schemas come from the zod
 * schemas below; the registry refuses a change that would break readers of older rides.
 *
 *   pnpm registry start && tsx examples/taxi/avro_rides.ts worker   # the consumer
 *   (or `pnpm demo`, which produces rides.csv through it)
 */
import { App, avroCodec, z } from '@strom/core';
import { KEEP_HISTORY, readRides } from './rides.js';

export const RIDES_AVRO_TOPIC = 'rides_avro';
const NAMESPACE = 'com.datatalksclub.taxi';

export const RideRecordKey = z.object({ vendor_id: z.int32() });
export const RideRecord = z.object({
  vendor_id: z.int32(),
  passenger_count: z.int32(),
  trip_distance: z.number(),
  payment_type: z.int32(),
  total_amount: z.number(),
});
export type RideRecord = z.infer<typeof RideRecord>;

/** The rides topic in Avro, as the producer and the consumer both declare it. */
export function ridesAvroTopic(app: App, value: z.ZodType = RideRecord) {
  return app.topic(RIDES_AVRO_TOPIC, {
    key: RideRecordKey,
    value: value as typeof RideRecord,
    keyCodec: avroCodec({ name: 'RideRecordKey', namespace: NAMESPACE }),
    valueCodec: avroCodec({ name: 'RideRecord', namespace: NAMESPACE, compatibility: 'BACKWARD' }),
    partitions: 2,
    config: KEEP_HISTORY,
  });
}

export const app = new App({ id: 'taxi-avro', broker: 'localhost:9092' });
const rides = ridesAvroTopic(app);

/** What the consumer read: rides and revenue per vendor. */
export const consumed = { rides: 0, byVendor: {} as Record<number, { rides: number; revenue: number }> };

export const consumeRides = app.agent(rides, async function consumeRides(stream) {
  for await (const ride of stream) {
    consumed.rides += 1;
    const vendor = (consumed.byVendor[ride.vendor_id] ??= { rides: 0, revenue: 0 });
    vendor.rides += 1;
    vendor.revenue += ride.total_amount;
  }
});

/** The course's producer: rides.csv as RideRecords, sent through the registry; returns how many. */
export async function produceAvroRides(): Promise<number> {
  const producer = new App({ id: 'taxi-avro-producer', broker: 'localhost:9092', logLevel: 'warn' });
  const topic = ridesAvroTopic(producer);
  await producer.createTopics();
  let sent = 0;
  try {
    for (const ride of readRides()) {
      const record: RideRecord = {
        vendor_id: ride.vendorId,
        passenger_count: ride.passenger_count,
        trip_distance: ride.trip_distance,
        payment_type: ride.payment_type,
        total_amount: ride.total_amount,
      };
      await topic.send(record, { key: { vendor_id: ride.vendorId } });
      sent += 1;
    }
    await producer.flush();
  } finally {
    await producer.stop();
  }
  return sent;
}

/**
 * The course's breaking change: `total_amount` from float to string. The registry refuses it
 * (BACKWARD: consumers on the new schema could not read the rides already written); returns the
 * error's message.
 */
export async function tryBreakingChange(): Promise<string> {
  const producer = new App({ id: 'taxi-avro-breaking', broker: 'localhost:9092', logLevel: 'warn' });
  const topic = ridesAvroTopic(producer, RideRecord.extend({ total_amount: z.string() }));
  try {
    await topic.prepare();
    return 'accepted';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await producer.stop();
  }
}

app.main();
