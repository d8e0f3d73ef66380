import { z } from '@strom/core';

/** How a cell's text becomes a value. */
export type CellKind = 'integer' | 'number' | 'boolean' | 'timestamp' | 'text';

/** A field of the records a CSV file becomes. */
export interface CsvField {
  name: string;
  kind: CellKind;
  /** The schema needs a value (not optional, no default, null not allowed). */
  required: boolean;
  /** Other names of its column, from the schema's `.meta({ columns: [...] })`. */
  columns: string[];
}

type JsonSchema = Record<string, unknown>;

function typesOf(property: JsonSchema): string[] {
  if (typeof property.type === 'string') return [property.type];
  if (Array.isArray(property.type)) return property.type.filter((t): t is string => typeof t === 'string');
  const branches = property.anyOf ?? property.oneOf;
  if (Array.isArray(branches)) return branches.flatMap((b) => typesOf(b as JsonSchema));
  return [];
}

function kindOf(property: JsonSchema, types: string[]): CellKind {
  const [only, ...more] = types.filter((t) => t !== 'null');
  if (only === undefined || more.length > 0) return 'text';
  if (only === 'integer' || only === 'number' || only === 'boolean') return only;
  if (only === 'string' && property.format === 'date-time') return 'timestamp';
  // a nullable date-time keeps its format on the string branch
  const branches = (property.anyOf ?? property.oneOf) as JsonSchema[] | undefined;
  if (only === 'string' && branches?.some((b) => b.format === 'date-time')) return 'timestamp';
  return 'text';
}

/**
 * The fields of a zod object schema, read from its JSON Schema (the input side: what a record
 * must look like before parsing). Undefined when the schema is not an object with properties:
 * then the CSV header names the fields.
 *
 * @example
 * fieldsFromSchema(z.object({ vendorId: z.number().int().meta({ columns: ['vendor_id'] }) }))
 * // [{ name: 'vendorId', kind: 'integer', required: true, columns: ['vendor_id'] }]
 */
export function fieldsFromSchema(schema: z.ZodType): CsvField[] | undefined {
  let json: JsonSchema;
  try {
    json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  } catch {
    return undefined;
  }
  const properties = json.properties as Record<string, JsonSchema> | undefined;
  if (json.type !== 'object' || !properties) return undefined;
  const required = new Set(Array.isArray(json.required) ? (json.required as string[]) : []);
  return Object.entries(properties).map(([name, property]) => {
    const types = typesOf(property);
    const columns = Array.isArray(property.columns)
      ? property.columns.filter((c): c is string => typeof c === 'string')
      : [];
    return {
      name,
      kind: kindOf(property, types),
      required: required.has(name) && !types.includes('null'),
      columns,
    };
  });
}
