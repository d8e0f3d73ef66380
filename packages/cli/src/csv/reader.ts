import { open } from 'node:fs/promises';
import type { z } from '@strom/core';
import { type Options as ParseOptions, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { UsageError } from '../errors.js';
import { readCell } from './cells.js';
import { type ColumnPlan, planColumns } from './columns.js';
import { type CsvField, fieldsFromSchema } from './fields.js';

export interface CsvReaderOptions {
  /**
   * zod schema of the records: their fields, how each cell is read (number, boolean, date-time,
   * text) and other names of a field's column (`.meta({ columns: ['pickup_location_id'] })`).
   * Without it, every column is a text field named by its header.
   */
  schema?: z.ZodType;
  /** field -> column, for headers the names and aliases do not find. */
  map?: Readonly<Record<string, string>>;
  /** Read at most this many rows. */
  limit?: number;
}

/** One row as a record: field -> value, null for an empty cell. */
export type CsvRecord = Record<string, unknown>;

/** What was read so far. */
export interface CsvSummary {
  rows: number;
  /** Rows in which at least one field the schema requires is empty. */
  rowsWithEmptyRequired: number;
  /** Per required field, the rows in which it is empty. */
  emptyRequired: Record<string, number>;
}

// CRLF or LF (found from the first line), quotes, a byte-order mark; short rows are kept (their
// missing cells are empty) so the schema, not the reader, decides about them
const PARSE_OPTIONS: ParseOptions = { bom: true, skip_empty_lines: true, relax_column_count: true };

/**
 * Reads CSV files into records for a topic: header names matched to the schema's fields
 * (without case and separators, then the fields' column aliases, then `map`), cells typed by
 * the schema, empty cells null. Rows are not validated: what the schema refuses is for the
 * consumer to dead-letter, with the reason.
 *
 * @example
 * const reader = new CsvRecordReader({ schema: TaxiRide, map: { vendorId: 'vendor' } });
 * for await (const ride of reader.readFile('yellow_tripdata_2020-07.csv')) await rides.send(ride);
 * console.log(reader.summary); // { rows: 800412, rowsWithEmptyRequired: 63109, ... }
 */
export class CsvRecordReader {
  readonly summary: CsvSummary = { rows: 0, rowsWithEmptyRequired: 0, emptyRequired: {} };
  private readonly fields: CsvField[] | undefined;
  private readonly map: Readonly<Record<string, string>>;
  private readonly limit: number;
  private plan: ColumnPlan | undefined;

  constructor(options: CsvReaderOptions = {}) {
    this.fields = options.schema ? fieldsFromSchema(options.schema) : undefined;
    this.map = options.map ?? {};
    this.limit = options.limit ?? Number.POSITIVE_INFINITY;
  }

  /** The fields of the records, once the header was read. */
  get fieldNames(): string[] | undefined {
    return this.plan?.fields.map((f) => f.name);
  }

  /** The file's rows as records, streamed. The header is checked before the first record. */
  async *readFile(path: string): AsyncGenerator<CsvRecord, void, undefined> {
    const file = await open(path).catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`${path}: cannot read it (${error.code ?? error.message})`);
    });
    const input = file.createReadStream();
    const rows = input.pipe(parse(PARSE_OPTIONS));
    input.on('error', (error) => rows.destroy(error));
    try {
      let plan: ColumnPlan | undefined;
      for await (const row of rows as AsyncIterable<string[]>) {
        if (!plan) {
          plan = this.plan = planColumns(row, this.fields, this.map, path);
          continue;
        }
        if (this.summary.rows >= this.limit) break;
        yield this.record(row, plan);
      }
      if (!plan) throw new UsageError(`${path}: the file is empty (no header)`);
    } finally {
      rows.destroy();
      input.destroy();
      await file.close();
    }
  }

  /** The rows of CSV text as records (`source` names it in errors). */
  parse(text: string, source = 'the CSV text'): CsvRecord[] {
    const [header, ...rows] = parseSync(text, PARSE_OPTIONS) as string[][];
    if (!header) throw new UsageError(`${source} is empty (no header)`);
    const plan = (this.plan = planColumns(header, this.fields, this.map, source));
    const records: CsvRecord[] = [];
    for (const row of rows) {
      if (this.summary.rows >= this.limit) break;
      records.push(this.record(row, plan));
    }
    return records;
  }

  private record(row: readonly string[], plan: ColumnPlan): CsvRecord {
    const record: CsvRecord = {};
    let empty = false;
    for (const { field, index } of plan.columns) {
      const value = readCell(row[index] ?? '', field.kind);
      record[field.name] = value;
      if (value === null && field.required) {
        empty = true;
        this.summary.emptyRequired[field.name] = (this.summary.emptyRequired[field.name] ?? 0) + 1;
      }
    }
    this.summary.rows += 1;
    if (empty) this.summary.rowsWithEmptyRequired += 1;
    return record;
  }
}
