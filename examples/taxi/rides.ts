/**
 * The taxi-ride data of the streaming course: the topic, the ride schema (with the names TLC
 * files give its columns), and rides.csv read into the JSON values the course's producer sends.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CsvRecordReader } from '@strom/cli/csv';
import { z } from '@strom/core';

export const RIDES_TOPIC = 'datatalkclub.yellow_taxi_ride.json';
export const RIDES_CSV = fileURLToPath(new URL('./data/rides.csv', import.meta.url));

/**
 * A ride, and how TLC trip files name its columns. Headers match the field names without case
 * and separators (`VendorID`, `vendorid`, `vendor_id` are `vendorId`); `columns` lists the other
 * names: green files (`lpep_`), snake_case samples (`pickup_datetime`, `pickup_location_id`).
 * Times are ISO 8601 UTC (`2020-07-01T00:25:32Z`): a TLC time has no zone and is read as if UTC,
 * like the course. A row without a vendor (TLC publishes many) fails `vendorId` and goes to the
 * dead-letter topic: never a vendor 0.
 */
export const TaxiRide = z.object({
  vendorId: z.number().int(),
  passenger_count: z.number().int(),
  trip_distance: z.number(),
  payment_type: z.number().int(),
  total_amount: z.number(),
  PULocationID: z
    .number()
    .int()
    .meta({ columns: ['pickup_location_id'] }),
  DOLocationID: z
    .number()
    .int()
    .meta({ columns: ['dropoff_location_id'] }),
  tpep_pickup_datetime: z.iso.datetime().meta({ columns: ['lpep_pickup_datetime', 'pickup_datetime'] }),
  tpep_dropoff_datetime: z.iso.datetime().meta({ columns: ['lpep_dropoff_datetime', 'dropoff_datetime'] }),
});
export type TaxiRide = z.infer<typeof TaxiRide>;

export const RideKey = z.object({ vendorId: z.number().int() });
export type RideKey = z.infer<typeof RideKey>;

/** The key the course's producer gives a ride: `{"vendorId": n}` (null when the row has none). */
export const RIDE_KEY = '{vendorId}';

/**
 * Configs of the demo's topics: keep every record, whatever its timestamp. Rides replayed with
 * their 2020 pickup times as record timestamps would otherwise be deleted by a broker's default
 * 7-day time retention while being read. A demo's choice: your own topics' retention is yours.
 */
export const KEEP_HISTORY: Record<string, string> = { 'retention.ms': '-1' };

/** How the taxi apps declare the rides topic. */
export const RIDES_TOPIC_OPTIONS = { key: RideKey, value: TaxiRide, partitions: 2, config: KEEP_HISTORY };

/** Every row of a TLC trip CSV as a ride, in file order; throws on a row the schema refuses. */
export function readRides(file = RIDES_CSV): TaxiRide[] {
  const rows = new CsvRecordReader({ schema: TaxiRide }).parse(readFileSync(file, 'utf8'), file);
  return rows.map((row) => TaxiRide.parse(row));
}
