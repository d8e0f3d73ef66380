import avro from 'avsc';

/** The compatibility levels of the Confluent schema registry API. */
export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export function isCompatibilityLevel(value: unknown): value is CompatibilityLevel {
  return typeof value === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(value);
}

type AvroType = avro.Type;

/** One Avro type of a parsed schema; logical types are kept as such (never resolved to classes). */
function parse(schema: string | object): AvroType {
  return avro.Type.forSchema(typeof schema === 'string' ? JSON.parse(schema) : schema, {
    wrapUnions: false,
  });
}

/** A short name for a type in messages: `double`, `string`, `record Ride`, `["null","int"]`. */
function typeLabel(type: AvroType): string {
  const name = type.typeName;
  if (name === 'record' || name === 'enum' || name === 'fixed') return `${name} ${type.name ?? ''}`.trim();
  return JSON.stringify(type.schema());
}

interface RecordField {
  name: string;
  type: AvroType;
  defaultValue(): unknown;
}

function fieldsOf(type: AvroType): RecordField[] | undefined {
  const fields = (type as unknown as { fields?: RecordField[] }).fields;
  return type.typeName === 'record' && Array.isArray(fields) ? fields : undefined;
}

function canRead(reader: AvroType, writer: AvroType): boolean {
  try {
    reader.createResolver(writer);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why `reader` cannot read data written with `writer`, naming the first field at fault
 * (`total_amount: double -> string`), or undefined when it can. Looks into nested records so
 * the path points at the leaf that breaks.
 */
export function readProblem(reader: AvroType, writer: AvroType, path = ''): string | undefined {
  if (canRead(reader, writer)) return undefined;
  const readerFields = fieldsOf(reader);
  const writerFields = fieldsOf(writer);
  if (readerFields && writerFields) {
    for (const field of readerFields) {
      const at = path ? `${path}.${field.name}` : field.name;
      const written = writerFields.find((f) => f.name === field.name);
      if (!written) {
        if (field.defaultValue() === undefined)
          return `field '${at}' is missing from the written data and has no default`;
        continue;
      }
      const problem = readProblem(field.type, written.type, at);
      if (problem) return problem;
    }
  }
  const where = path ? `field '${path}'` : 'the schema';
  return `${where} changed type: ${typeLabel(writer)} -> ${typeLabel(reader)}`;
}

const RULES: Record<
  Exclude<CompatibilityLevel, 'NONE'>,
  { backward: boolean; forward: boolean; transitive: boolean }
> = {
  BACKWARD: { backward: true, forward: false, transitive: false },
  BACKWARD_TRANSITIVE: { backward: true, forward: false, transitive: true },
  FORWARD: { backward: false, forward: true, transitive: false },
  FORWARD_TRANSITIVE: { backward: false, forward: true, transitive: true },
  FULL: { backward: true, forward: true, transitive: false },
  FULL_TRANSITIVE: { backward: true, forward: true, transitive: true },
};

/**
 * The compatibility problems of registering `candidate` after `existing` (oldest first) under
 * `level`, one sentence each, naming the field and the rule broken; empty when compatible.
 *
 * @example
 * compatibilityProblems(newSchema, [v1], 'BACKWARD')
 * // ["field 'total_amount' changed type: \"double\" -> \"string\" (BACKWARD: new readers must read data written with version 1)"]
 */
export function compatibilityProblems(
  candidate: string | object,
  existing: readonly { version: number; schema: string | object }[],
  level: CompatibilityLevel,
): string[] {
  if (level === 'NONE' || existing.length === 0) return [];
  const rule = RULES[level];
  const next = parse(candidate);
  const against = rule.transitive ? existing : existing.slice(-1);
  const problems: string[] = [];
  for (const { version, schema } of against) {
    const old = parse(schema);
    if (rule.backward) {
      const problem = readProblem(next, old);
      if (problem)
        problems.push(`${problem} (${level}: new readers must read data written with version ${version})`);
    }
    if (rule.forward) {
      const problem = readProblem(old, next);
      if (problem) problems.push(`${problem} (${level}: readers of version ${version} must read new data)`);
    }
  }
  return problems;
}
