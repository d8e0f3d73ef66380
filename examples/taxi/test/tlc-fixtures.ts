/**
 * The TLC fixture files (test/fixtures/README.md) and what each must give: rides per vendor
 * once the schema has judged every row, and the rows the schema refuses (by pickup time) with
 * the field it refuses them for.
 */
import { fileURLToPath } from 'node:url';

export interface TlcFixture {
  /** Short name, also used in topic names and table keys. */
  label: string;
  file: string;
  rows: number;
  ridesPerVendor: Record<string, number>;
  /** Pickup time (as the reader writes it) -> the field the schema refuses. */
  refused: Record<string, string>;
}

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

export const TLC_FIXTURES: readonly TlcFixture[] = [
  {
    label: 'yellow',
    file: fixture('yellow_tripdata_2020-07.csv'),
    rows: 9,
    ridesPerVendor: { '1': 3, '2': 4 },
    refused: { '2020-07-01T00:47:00Z': 'vendorId', '2020-07-01T00:52:00Z': 'vendorId' },
  },
  {
    label: 'open-data',
    file: fixture('open_data_yellow_2019.csv'),
    rows: 7,
    ridesPerVendor: { '1': 3, '2': 3 },
    refused: { '2019-10-23T16:44:00Z': 'vendorId' },
  },
  {
    label: 'snake-case',
    file: fixture('snake_case_sample.csv'),
    rows: 8,
    ridesPerVendor: { '1': 2, '2': 3 },
    refused: {
      '2020-01-15T08:06:00Z': 'vendorId',
      '2020-01-15T08:09:00Z': 'vendorId',
      '2020-01-15T08:11:30Z': 'passenger_count',
    },
  },
  {
    label: 'green',
    file: fixture('green_tripdata_2020-07.csv'),
    rows: 8,
    ridesPerVendor: { '1': 1, '2': 4 },
    refused: {
      '2020-07-01T00:34:00Z': 'vendorId',
      '2020-07-01T00:42:00Z': 'vendorId',
      '2020-07-01T00:53:00Z': 'vendorId',
    },
  },
];
