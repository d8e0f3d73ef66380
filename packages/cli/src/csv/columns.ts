import { closestName, normalizeName } from '@strom/core/cli-support';
import { UsageError } from '../errors.js';
import type { CsvField } from './fields.js';

/** Where each field's value is in a row. */
export interface ColumnPlan {
  /** Fields found in the header, with the index of their column. */
  readonly columns: ReadonlyArray<{ field: CsvField; index: number }>;
  /** The fields every record has: the header's, or the schema's found in it. */
  readonly fields: readonly CsvField[];
}

function quoteList(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}

/**
 * Matches a header to fields. A field's column is, in this order: the one `map` names for it;
 * the column with the field's name; a column named by one of the field's `columns`. Names
 * compare without case and separators: `vendorId` finds `VendorID`, `vendorid` and `vendor_id`.
 * Without `fields` (no schema), every column is a text field named by its header, `map`
 * renaming some. A required field with no column, or a `map` entry that names no field or no
 * column, is a UsageError naming the closest one: better one line now than every row rejected.
 */
export function planColumns(
  header: readonly string[],
  fields: readonly CsvField[] | undefined,
  map: Readonly<Record<string, string>>,
  source: string,
): ColumnPlan {
  const names = header.map((h) => h.trim());
  const columnIndex = (column: string) => {
    const wanted = normalizeName(column);
    return names.findIndex((n) => normalizeName(n) === wanted);
  };
  for (const [field, column] of Object.entries(map)) {
    if (columnIndex(column) >= 0) continue;
    const closest = closestName(column, names);
    throw new UsageError(
      `--map ${field}=${column}: ${source} has no column "${column}"${closest ? `; did you mean "${closest}"?` : ` (its columns: ${quoteList(names)})`}`,
    );
  }
  const known: readonly CsvField[] =
    fields ??
    names.map((name) => {
      const renamed = Object.entries(map).find(([, column]) => columnIndex(column) === columnIndex(name));
      return { name: renamed?.[0] ?? name, kind: 'text', required: false, columns: [name] };
    });
  const fieldNames = known.map((f) => f.name);
  for (const field of Object.keys(map)) {
    if (fieldNames.includes(field)) continue;
    const closest = closestName(field, fieldNames);
    throw new UsageError(
      `--map ${field}=${map[field]}: the records have no field "${field}"${closest ? `; did you mean "${closest}"?` : ` (fields: ${quoteList(fieldNames)})`}`,
    );
  }
  const columns: Array<{ field: CsvField; index: number }> = [];
  const missing: string[] = [];
  for (const field of known) {
    const mapped = map[field.name];
    const candidates = mapped !== undefined ? [mapped] : [field.name, ...field.columns];
    const index = candidates.map(columnIndex).find((i) => i >= 0);
    if (index !== undefined) columns.push({ field, index });
    else if (field.required) missing.push(field.name);
  }
  if (missing.length > 0) {
    const first = missing[0]!;
    throw new UsageError(
      `${source} has no column for ${missing.length === 1 ? 'the field' : 'the fields'} ${quoteList(missing)} ` +
        `(its columns: ${quoteList(names)}); name one with --map ${first}=COLUMN`,
    );
  }
  return { columns, fields: known };
}
