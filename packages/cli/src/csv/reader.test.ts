import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from '@strom/core';
import { afterAll, describe, expect, it } from 'vitest';
import { isoTimestamp, readCell } from './cells.js';
import { fieldsFromSchema } from './fields.js';
import { parseRecordKey } from './key.js';
import { CsvRecordReader } from './reader.js';

const Trip = z.object({
  vendorId: z.number().int(),
  passengers: z.number().int().nullable(),
  fare: z.number(),
  pickup: z.iso.datetime().meta({ columns: ['lpep_pickup_datetime', 'pickup_time'] }),
  flag: z.boolean().optional(),
  note: z.string().default(''),
});

const dir = mkdtempSync(join(tmpdir(), 'strom-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function readAll(reader: CsvRecordReader, path: string): Promise<Array<Record<string, unknown>>> {
  const records: Array<Record<string, unknown>> = [];
  for await (const record of reader.readFile(path)) records.push(record);
  return records;
}

describe('readCell', () => {
  it('an empty cell is null for every kind, never 0 or ""', () => {
    for (const kind of ['integer', 'number', 'boolean', 'timestamp', 'text'] as const) {
      expect(readCell('', kind)).toBeNull();
      expect(readCell('  ', kind)).toBeNull();
    }
  });

  it('numbers as CSV writers print them; anything else stays text for the schema to refuse', () => {
    expect(readCell('1.0', 'integer')).toBe(1);
    expect(readCell('1.5', 'integer')).toBe(1.5);
    expect(readCell('-10.80', 'number')).toBe(-10.8);
    expect(readCell('.00', 'number')).toBe(0);
    expect(readCell('2e3', 'number')).toBe(2000);
    expect(readCell('NaN', 'number')).toBe('NaN');
    expect(readCell('1,5', 'number')).toBe('1,5');
    expect(readCell('0x10', 'integer')).toBe('0x10');
  });

  it('booleans', () => {
    expect(['true', 'N', 'y', '0', 'FALSE', 'maybe'].map((t) => readCell(t, 'boolean'))).toEqual([
      true,
      false,
      true,
      false,
      false,
      'maybe',
    ]);
  });
});

describe('isoTimestamp', () => {
  it('reads the TLC formats; a time without a zone keeps its clock, as UTC', () => {
    expect(isoTimestamp('2019-10-23 16:39:42')).toBe('2019-10-23T16:39:42Z');
    expect(isoTimestamp('2019-10-23T16:39:42.000')).toBe('2019-10-23T16:39:42Z');
    expect(isoTimestamp('2019-10-23T16:39:42.5')).toBe('2019-10-23T16:39:42.500Z');
    expect(isoTimestamp('2019-10-23T16:39:42.123456')).toBe('2019-10-23T16:39:42.123Z');
    expect(isoTimestamp('2019-10-23 16:39')).toBe('2019-10-23T16:39:00Z');
    expect(isoTimestamp('10/23/2019 04:39:42 PM')).toBe('2019-10-23T16:39:42Z');
    expect(isoTimestamp('10/23/2019 12:05:00 AM')).toBe('2019-10-23T00:05:00Z');
    expect(isoTimestamp('10/23/2019 16:39:42')).toBe('2019-10-23T16:39:42Z');
  });

  it('a time with a zone is that instant', () => {
    expect(isoTimestamp('2019-10-23T16:39:42Z')).toBe('2019-10-23T16:39:42Z');
    expect(isoTimestamp('2019-10-23T16:39:42.000-04:00')).toBe('2019-10-23T20:39:42Z');
    expect(isoTimestamp('2019-10-23T16:39:42+0530')).toBe('2019-10-23T11:09:42Z');
    expect(isoTimestamp('2019-10-23 16:39:42+02')).toBe('2019-10-23T14:39:42Z');
    expect(isoTimestamp('2020-02-29T23:30:00.250-01:00')).toBe('2020-03-01T00:30:00.250Z');
    expect(isoTimestamp('2021-01-01T00:15:00+00:30')).toBe('2020-12-31T23:45:00Z');
  });

  it('is undefined for what is not a time (never "Z" or a shifted date)', () => {
    expect(isoTimestamp('2020-02-29 10:00:00')).toBe('2020-02-29T10:00:00Z');
    for (const text of [
      '',
      'Z',
      '2019-02-29 10:00:00',
      '1900-02-29 10:00:00',
      '2019-02-30 10:00:00',
      '2019-04-31 10:00:00',
      '2019-10-23 24:00:00',
      '13/01/2019 10:00:00',
      'soon',
    ])
      expect(isoTimestamp(text)).toBeUndefined();
    expect(isoTimestamp('10/23/2019 13:00:00 PM')).toBeUndefined();
  });
});

describe('fieldsFromSchema', () => {
  it('reads kinds, required fields and column aliases from the zod schema', () => {
    expect(fieldsFromSchema(Trip)).toEqual([
      { name: 'vendorId', kind: 'integer', required: true, columns: [] },
      { name: 'passengers', kind: 'integer', required: false, columns: [] },
      { name: 'fare', kind: 'number', required: true, columns: [] },
      { name: 'pickup', kind: 'timestamp', required: true, columns: ['lpep_pickup_datetime', 'pickup_time'] },
      { name: 'flag', kind: 'boolean', required: false, columns: [] },
      { name: 'note', kind: 'text', required: false, columns: [] },
    ]);
    expect(fieldsFromSchema(z.string())).toBeUndefined();
    expect(fieldsFromSchema(z.object({ at: z.iso.datetime().nullable() }))?.[0]?.kind).toBe('timestamp');
  });
});

describe('CsvRecordReader', () => {
  it('matches headers without case and separators, then by alias; empty cells are null', () => {
    const reader = new CsvRecordReader({ schema: Trip });
    const text =
      'VENDOR_ID,Passengers,lpep_pickup_datetime,fare,unused,Note\n' +
      '1,2,2020-07-01 00:25:32,9.3,x,"a, ""quoted"" note"\n' +
      ',,2020-07-01T00:30:00.000,-10.80,y,\n';
    expect(reader.parse(text)).toEqual([
      { vendorId: 1, passengers: 2, pickup: '2020-07-01T00:25:32Z', fare: 9.3, note: 'a, "quoted" note' },
      { vendorId: null, passengers: null, pickup: '2020-07-01T00:30:00Z', fare: -10.8, note: null },
    ]);
    // passengers is nullable: only vendorId counts as an empty required field
    expect(reader.summary).toEqual({ rows: 2, rowsWithEmptyRequired: 1, emptyRequired: { vendorId: 1 } });
    expect(reader.fieldNames).toEqual(['vendorId', 'passengers', 'fare', 'pickup', 'flag', 'note']);
  });

  it('reads CRLF files with a byte-order mark and quoted line breaks, streamed like parse()', async () => {
    const text =
      '\uFEFFvendorId,fare,pickup_time,flag\r\n' +
      '2,"1.0",2019-10-23T16:39:42.000,Y\r\n' +
      '\r\n' +
      '3,2.5,10/23/2019 04:39:42 PM,"N"\r\n';
    const expected = [
      { vendorId: 2, fare: 1, pickup: '2019-10-23T16:39:42Z', flag: true },
      { vendorId: 3, fare: 2.5, pickup: '2019-10-23T16:39:42Z', flag: false },
    ];
    expect(new CsvRecordReader({ schema: Trip }).parse(text)).toEqual(expected);
    expect(await readAll(new CsvRecordReader({ schema: Trip }), file('crlf.csv', text))).toEqual(expected);
  });

  it('--map names the column of a field; a short row has null for its missing cells', () => {
    const reader = new CsvRecordReader({ schema: Trip, map: { vendorId: 'provider', pickup: 'start' } });
    expect(reader.parse('provider,fare,start\n7,3,2020-01-01 10:00:00\n8\n')).toEqual([
      { vendorId: 7, fare: 3, pickup: '2020-01-01T10:00:00Z' },
      { vendorId: 8, fare: null, pickup: null },
    ]);
    expect(reader.summary.emptyRequired).toEqual({ fare: 1, pickup: 1 });
  });

  it('without a schema, every column is a text field named by its header', () => {
    const reader = new CsvRecordReader({ map: { vendor: 'VendorID' } });
    expect(reader.parse('VendorID,total\n1,9.3\n,\n')).toEqual([
      { vendor: '1', total: '9.3' },
      { vendor: null, total: null },
    ]);
  });

  it('stops after limit rows', async () => {
    const path = file('limit.csv', `vendorId,fare,pickup\n${'1,2,2020-01-01 00:00:00\n'.repeat(5)}`);
    const reader = new CsvRecordReader({ schema: Trip, limit: 3 });
    expect(await readAll(reader, path)).toHaveLength(3);
    expect(reader.summary.rows).toBe(3);
  });

  it('a header without a required field, or a --map to nothing, fails in one line with the fix', async () => {
    expect(() =>
      new CsvRecordReader({ schema: Trip }).parse('vendor,fare,pickup_datetime\n1,2,3\n', 'x.csv'),
    ).toThrow(
      'x.csv has no column for the fields "vendorId", "pickup" (its columns: "vendor", "fare", ' +
        '"pickup_datetime"); name one with --map vendorId=COLUMN',
    );
    expect(() =>
      new CsvRecordReader({ schema: Trip, map: { vendorId: 'Vendr_ID' } }).parse('Vendor_ID,fare,pickup\n'),
    ).toThrow('--map vendorId=Vendr_ID: the CSV text has no column "Vendr_ID"; did you mean "Vendor_ID"?');
    expect(() =>
      new CsvRecordReader({ schema: Trip, map: { vendor: 'vendorId' } }).parse('vendorId,fare,pickup\n'),
    ).toThrow('--map vendor=vendorId: the records have no field "vendor"; did you mean "vendorId"?');
    await expect(readAll(new CsvRecordReader(), join(dir, 'missing.csv'))).rejects.toThrow(
      /missing\.csv: cannot read it \(ENOENT\)/,
    );
    await expect(readAll(new CsvRecordReader(), file('empty.csv', ''))).rejects.toThrow(
      /empty\.csv: the file is empty/,
    );
  });
});

describe('parseRecordKey', () => {
  it('a field gives its value, braces give an object; an empty field gives null', () => {
    expect(parseRecordKey('vendorId').of({ vendorId: 2 })).toBe(2);
    expect(parseRecordKey('{vendorId}').of({ vendorId: 2, fare: 1 })).toEqual({ vendorId: 2 });
    expect(parseRecordKey('{ vendorId, zone }').of({ vendorId: null })).toEqual({
      vendorId: null,
      zone: null,
    });
    expect(() => parseRecordKey('a,b')).toThrow(/name a field/);
  });
});
