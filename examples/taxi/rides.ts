/**
 * The taxi-ride data of the streaming course: the topic, the ride schema, and rides.csv read
 * into the JSON values the course's producer sends.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from '@strom/core';
import { parse } from 'csv-parse/sync';

export const RIDES_TOPIC = 'datatalkclub.yellow_taxi_ride.json';
export const RIDES_CSV = fileURLToPath(new URL('./data/rides.csv', import.meta.url));

export const TaxiRide = z.object({
  vendorId: z.number().int(),
  passenger_count: z.number().int(),
  trip_distance: z.number(),
  payment_type: z.number().int(),
  total_amount: z.number(),
  PULocationID: z.number().int(),
  DOLocationID: z.number().int(),
  tpep_pickup_datetime: z.string(),
  tpep_dropoff_datetime: z.string(),
});
export type TaxiRide = z.infer<typeof TaxiRide>;

export const RideKey = z.object({ vendorId: z.number().int() });
export type RideKey = z.infer<typeof RideKey>;

/** "2020-07-01 00:25:32" (TLC local time, read as UTC like the course) -> "2020-07-01T00:25:32Z" */
function isoUtc(datetime: string): string {
  return `${datetime.replace(' ', 'T')}Z`;
}

/** Every row of a TLC yellow-taxi CSV as a ride, in file order. */
export function readRides(file = RIDES_CSV): TaxiRide[] {
  const rows = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Array<
    Record<string, string>
  >;
  return rows.map((row) =>
    TaxiRide.parse({
      vendorId: Number(row.VendorID),
      passenger_count: Number(row.passenger_count),
      trip_distance: Number(row.trip_distance),
      payment_type: Number(row.payment_type),
      total_amount: Number(row.total_amount),
      PULocationID: Number(row.PULocationID),
      DOLocationID: Number(row.DOLocationID),
      tpep_pickup_datetime: isoUtc(row.tpep_pickup_datetime ?? ''),
      tpep_dropoff_datetime: isoUtc(row.tpep_dropoff_datetime ?? ''),
    }),
  );
}
