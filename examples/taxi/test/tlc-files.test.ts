import { CsvRecordReader } from '@strom/cli/csv';
import { describe, expect, it } from 'vitest';
import { readRides, TaxiRide } from '../rides.js';
import { TLC_FIXTURES } from './tlc-fixtures.js';

/** The first row of rides.csv, as every reader of it must give it. */
const FIRST_RIDE = {
  vendorId: 1,
  passenger_count: 1,
  trip_distance: 1.5,
  payment_type: 2,
  total_amount: 9.3,
  PULocationID: 238,
  DOLocationID: 75,
  tpep_pickup_datetime: '2020-07-01T00:25:32Z',
  tpep_dropoff_datetime: '2020-07-01T00:33:39Z',
};

async function read(file: string) {
  const reader = new CsvRecordReader({ schema: TaxiRide });
  const records: Array<Record<string, unknown>> = [];
  for await (const record of reader.readFile(file)) records.push(record);
  return { records, summary: reader.summary };
}

describe('TLC trip files of every format, read with the taxi schema', () => {
  for (const fixture of TLC_FIXTURES) {
    it(`${fixture.label}: rides per vendor, and the rows the schema refuses`, async () => {
      const { records, summary } = await read(fixture.file);
      expect(records).toHaveLength(fixture.rows);
      const perVendor: Record<string, number> = {};
      const refused: Record<string, string[]> = {};
      for (const record of records) {
        const result = TaxiRide.safeParse(record);
        if (result.success) perVendor[result.data.vendorId] = (perVendor[result.data.vendorId] ?? 0) + 1;
        else refused[String(record.tpep_pickup_datetime)] = result.error.issues.map((i) => String(i.path[0]));
      }
      expect(perVendor).toEqual(fixture.ridesPerVendor);
      expect(Object.keys(refused).sort()).toEqual(Object.keys(fixture.refused).sort());
      for (const [pickup, field] of Object.entries(fixture.refused)) expect(refused[pickup]).toContain(field);
      const vendorless = Object.values(fixture.refused).filter((f) => f === 'vendorId').length;
      expect(summary.rowsWithEmptyRequired).toBe(vendorless);
      expect(summary.emptyRequired.vendorId).toBe(vendorless);
    });
  }

  it('every format gives the same record shape: ISO UTC times, numbers, null for empty cells', async () => {
    const [yellow, openData, snake, green] = await Promise.all(TLC_FIXTURES.map((f) => read(f.file)));
    // the yellow fixture starts with the first ride of rides.csv
    expect(yellow!.records[0]).toEqual(FIRST_RIDE);
    expect(yellow!.records[6]).toEqual({
      vendorId: null,
      passenger_count: null,
      trip_distance: 7.79,
      payment_type: null,
      total_amount: 25.51,
      PULocationID: 188,
      DOLocationID: 37,
      tpep_pickup_datetime: '2020-07-01T00:47:00Z',
      tpep_dropoff_datetime: '2020-07-01T01:07:00Z',
    });
    expect(openData!.records[0]).toMatchObject({
      vendorId: 1,
      PULocationID: 138,
      DOLocationID: 170,
      tpep_pickup_datetime: '2019-10-23T16:39:42Z',
      tpep_dropoff_datetime: '2019-10-23T17:14:10Z',
    });
    // pandas' 1.0 is 1; 1.5 stays 1.5 for int() to refuse
    expect(snake!.records[0]).toMatchObject({
      vendorId: 2,
      passenger_count: 1,
      PULocationID: 142,
      DOLocationID: 236,
    });
    expect(snake!.records[6]).toMatchObject({ vendorId: 1, passenger_count: 1.5 });
    // green: lpep_ times, not "Z"; refunds, zero durations, zones 264/265 and old clocks kept as they are
    expect(green!.records[1]).toEqual({
      vendorId: 2,
      passenger_count: 1,
      trip_distance: 0,
      payment_type: 1,
      total_amount: 15.3,
      PULocationID: 264,
      DOLocationID: 264,
      tpep_pickup_datetime: '2020-07-01T00:47:38Z',
      tpep_dropoff_datetime: '2020-07-01T00:47:38Z',
    });
    expect(green!.records[3]).toMatchObject({ total_amount: -6.3, payment_type: 3 });
    expect(green!.records[5]).toMatchObject({
      tpep_pickup_datetime: '2009-01-01T00:14:11Z',
      DOLocationID: 265,
    });
  });

  it('rides.csv still reads into the 266 rides of the course', () => {
    const rides = readRides();
    expect(rides).toHaveLength(266);
    expect(rides[0]).toEqual(FIRST_RIDE);
    expect(rides.filter((r) => r.vendorId === 1)).toHaveLength(87);
  });
});
