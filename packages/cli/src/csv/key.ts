import { closestName } from '@strom/core/cli-support';
import { UsageError } from '../errors.js';
import type { CsvRecord } from './reader.js';

/** How a record's key is made from its fields. */
export interface RecordKey {
  readonly fields: readonly string[];
  of(record: CsvRecord): unknown;
}

/**
 * `vendorId` -> the key is the field's value; `{vendorId}` or `{vendorId,PULocationID}` -> an
 * object of those fields (the taxi producer's key is `{"vendorId": 1}`). An empty field gives
 * null in the key, like in the value.
 */
export function parseRecordKey(spec: string): RecordKey {
  const object = /^\{(.*)\}$/.exec(spec.trim());
  const fields = (object ? object[1]! : spec)
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f.length > 0);
  if (fields.length === 0 || (!object && fields.length > 1)) {
    throw new UsageError(`--key ${spec}: name a field (vendorId) or fields in braces ({vendorId,zone})`);
  }
  if (!object) {
    const [field] = fields as [string];
    return { fields, of: (record) => record[field] ?? null };
  }
  return { fields, of: (record) => Object.fromEntries(fields.map((f) => [f, record[f] ?? null])) };
}

/** Fails in one line when the key names a field the records do not have. */
export function checkKeyFields(key: RecordKey, fieldNames: readonly string[]): void {
  for (const field of key.fields) {
    if (fieldNames.includes(field)) continue;
    const closest = closestName(field, fieldNames);
    throw new UsageError(
      `--key: the records have no field "${field}"${closest ? `; did you mean "${closest}"?` : ''}`,
    );
  }
}
