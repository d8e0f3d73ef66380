/** The TLC taxi zones (LocationID -> borough and zone), from the project's copy of the lookup CSV. */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';

export interface TaxiZone {
  borough: string;
  zone: string;
}

export function readZones(
  file = new URL('./data/taxi_zone_lookup.csv', import.meta.url),
): Map<number, TaxiZone> {
  const rows = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Array<
    Record<string, string>
  >;
  return new Map(rows.map((r) => [Number(r.LocationID), { borough: r.Borough ?? '', zone: r.Zone ?? '' }]));
}
