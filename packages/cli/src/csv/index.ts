/**
 * CSV files as records for a topic: what `strom send --csv` reads, for programs of your own too
 * (`import { CsvRecordReader } from '@strom/cli/csv'`).
 */
export { isoTimestamp, readCell } from './cells.js';
export type { CellKind, CsvField } from './fields.js';
export { fieldsFromSchema } from './fields.js';
export type { RecordKey } from './key.js';
export { parseRecordKey } from './key.js';
export type { CsvReaderOptions, CsvRecord, CsvSummary } from './reader.js';
export { CsvRecordReader } from './reader.js';
