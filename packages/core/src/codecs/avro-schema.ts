/**
 * The Avro schema of a zod schema, so a topic's types still come from one place. The mapping
 * (docs/avro.md has it as a table):
 *
 * | zod | Avro |
 * |---|---|
 * | `z.object({...})` | `record` (nested objects: records named after the field) |
 * | `z.int32()`, `z.number().int()` within ±2^31 | `int` |
 * | `z.number().int()`, `z.int()` | `long` |
 * | `z.float32()` | `float` |
 * | `z.number()` | `double` |
 * | `z.string()` | `string` (`z.uuid()`: `string` with logical type `uuid`) |
 * | `z.boolean()` | `boolean` |
 * | `z.enum([...])` | `enum` |
 * | `.optional()`, `.nullable()` | `["null", T]` with default `null` |
 * | `.default(v)` | `T` with default `v` |
 * | `z.array(T)` | `array` |
 * | `z.record(z.string(), T)` | `map` |
 * | `z.date()` | `long` with logical type `timestamp-millis` |
 * | `z.number()` or `z.string()` with `.meta({ avro: { decimal: { precision, scale } } })` | `bytes` with logical type `decimal` |
 *
 * Anything else (unions of other types, literals, bigint, tuples, transforms, any/unknown) has
 * no mapping and fails at start with the path of the field.
 */
import avro from 'avsc';
import type { ZodType } from 'zod';
import { ConfigError } from '../errors/errors.js';

/** An Avro schema in its JSON form. */
export type AvroSchema = string | { [key: string]: unknown } | AvroSchema[];

/** Avro options of one zod schema, set with `.meta({ avro: { ... } })`. */
export interface AvroMeta {
  /** Record or enum name (default: from the topic, or from the field for nested types). */
  name?: string;
  /** Decimal logical type: digits in all and after the point. */
  decimal?: { precision: number; scale: number };
}

/** What {@link zodToAvro} derives: the schema, and how to turn a decoded Avro value back into what the zod schema expects. */
export interface DerivedAvro {
  schema: AvroSchema;
  /** Decoded Avro -> zod input: plain objects, `null` of optional-only fields absent, decimals of `z.number()` numbers. */
  fromAvro(value: unknown): unknown;
}

interface ZodInternals {
  _zod: { def: { type: string; [key: string]: unknown }; bag: Record<string, unknown> };
  meta?(): Record<string, unknown> | undefined;
  format?: string | null;
  minValue?: number | null;
  maxValue?: number | null;
  isInt?: boolean;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function internals(schema: ZodType): ZodInternals {
  return schema as unknown as ZodInternals;
}

function avroMeta(schema: ZodType): AvroMeta {
  const meta = internals(schema).meta?.();
  const value = meta?.avro;
  return value && typeof value === 'object' ? (value as AvroMeta) : {};
}

function pascal(text: string): string {
  const name = text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
  return /^[0-9]/.test(name) ? `_${name}` : name || 'Record';
}

type Fix = (value: unknown) => unknown;
const identity: Fix = (v) => v;

class Deriver {
  private readonly names = new Set<string>();

  constructor(private readonly rootName: string) {}

  private unmapped(path: string, what: string, hint = ''): never {
    const at = path ? ` at '${path}'` : '';
    throw new ConfigError(`zod type ${what}${at} has no Avro mapping${hint ? `: ${hint}` : ''}`);
  }

  private uniqueName(name: string, path: string): string {
    if (!AVRO_NAME.test(name)) this.unmapped(path, `named '${name}'`, 'Avro names are letters, digits and _');
    if (this.names.has(name))
      this.unmapped(
        path,
        `named '${name}'`,
        'two records or enums would share it; set .meta({ avro: { name } })',
      );
    this.names.add(name);
    return name;
  }

  /** The Avro type of `schema`, and the fix-up its decoded values need. */
  derive(
    schema: ZodType,
    path: string,
    suggestedName: string,
  ): { type: AvroSchema; fix: Fix; nullable?: boolean } {
    const z = internals(schema);
    const def = z._zod.def;
    const meta = avroMeta(schema);
    switch (def.type) {
      case 'object': {
        const shape = def.shape as Record<string, ZodType>;
        const name = this.uniqueName(meta.name ?? suggestedName, path);
        const fixes: [string, Fix][] = [];
        const fields = Object.entries(shape).map(([field, fieldSchema]) => {
          const at = path ? `${path}.${field}` : field;
          if (!AVRO_NAME.test(field))
            this.unmapped(at, 'field', 'Avro field names are letters, digits and _');
          const derived = this.field(fieldSchema, at, `${name}${pascal(field)}`);
          fixes.push([field, derived.fix]);
          return {
            name: field,
            type: derived.type,
            ...(derived.hasDefault ? { default: derived.default } : {}),
          };
        });
        // a plain object, as JSON gives: avsc reads records into instances of generated classes
        const fix: Fix = (value) => {
          if (value === null || typeof value !== 'object') return value;
          const record = value as Record<string, unknown>;
          const out: Record<string, unknown> = {};
          for (const [field, f] of fixes) {
            const v = f(record[field]);
            if (v !== undefined) out[field] = v;
          }
          return out;
        };
        return { type: { type: 'record', name, fields }, fix };
      }
      case 'number': {
        if (meta.decimal) return this.decimal(meta.decimal, path, Number);
        if (z.format === 'float32') return { type: 'float', fix: identity };
        if (z.isInt) {
          const fitsInt = (z.minValue ?? -Infinity) >= INT32_MIN && (z.maxValue ?? Infinity) <= INT32_MAX;
          return { type: fitsInt ? 'int' : 'long', fix: identity };
        }
        return { type: 'double', fix: identity };
      }
      case 'string':
        if (meta.decimal) return this.decimal(meta.decimal, path, String);
        if (z.format === 'uuid') return { type: { type: 'string', logicalType: 'uuid' }, fix: identity };
        return { type: 'string', fix: identity };
      case 'boolean':
        return { type: 'boolean', fix: identity };
      case 'date':
        return { type: { type: 'long', logicalType: 'timestamp-millis' }, fix: identity };
      case 'enum': {
        const symbols = Object.values(def.entries as Record<string, unknown>);
        const bad = symbols.find((s) => typeof s !== 'string' || !AVRO_NAME.test(s));
        if (bad !== undefined)
          this.unmapped(
            path,
            `enum value ${JSON.stringify(bad)}`,
            'Avro enum symbols are letters, digits and _',
          );
        return {
          type: { type: 'enum', name: this.uniqueName(meta.name ?? suggestedName, path), symbols },
          fix: identity,
        };
      }
      case 'array': {
        const item = this.derive(def.element as ZodType, `${path}[]`, `${suggestedName}Item`);
        const fix: Fix = item.fix === identity ? identity : (v) => (Array.isArray(v) ? v.map(item.fix) : v);
        return { type: { type: 'array', items: item.type }, fix };
      }
      case 'record': {
        const keyType = internals(def.keyType as ZodType)._zod.def.type;
        if (keyType !== 'string')
          this.unmapped(path, `record with ${keyType} keys`, 'Avro maps have string keys');
        const value = this.derive(def.valueType as ZodType, `${path}{}`, `${suggestedName}Value`);
        const fix: Fix =
          value.fix === identity
            ? identity
            : (v) => {
                if (v && typeof v === 'object')
                  for (const [k, x] of Object.entries(v)) (v as Record<string, unknown>)[k] = value.fix(x);
                return v;
              };
        return { type: { type: 'map', values: value.type }, fix };
      }
      case 'nullable':
      case 'optional': {
        const inner = this.derive(def.innerType as ZodType, path, suggestedName);
        if (Array.isArray(inner.type)) return inner; // already ["null", T]
        // optional-only: Avro null comes back as an absent field; nullable keeps null
        const nullTo: unknown = def.type === 'optional' && !inner.nullable ? undefined : null;
        return {
          type: ['null', inner.type],
          fix: (v) => (v === null ? nullTo : inner.fix(v)),
          nullable: def.type === 'nullable' || inner.nullable,
        };
      }
      default:
        return this.unmapped(path, `'${def.type}'`, hintFor(def.type));
    }
  }

  /** A field: its type plus the Avro default (`null` for optional/nullable, `.default(v)`'s value). */
  field(
    schema: ZodType,
    path: string,
    suggestedName: string,
  ): { type: AvroSchema; fix: Fix; hasDefault: boolean; default?: unknown } {
    const def = internals(schema)._zod.def;
    if (def.type === 'default') {
      const inner = this.field(def.innerType as ZodType, path, suggestedName);
      const raw =
        typeof def.defaultValue === 'function' ? (def.defaultValue as () => unknown)() : def.defaultValue;
      const value = raw instanceof Date ? raw.getTime() : raw;
      // a union's default must match its first branch: put a non-null default's type first
      if (Array.isArray(inner.type) && value !== null) inner.type = [inner.type[1]!, inner.type[0]!];
      return { ...inner, hasDefault: true, default: value };
    }
    const derived = this.derive(schema, path, suggestedName);
    return Array.isArray(derived.type)
      ? { type: derived.type, fix: derived.fix, hasDefault: true, default: null }
      : { type: derived.type, fix: derived.fix, hasDefault: false };
  }

  private decimal(
    decimal: { precision: number; scale: number },
    path: string,
    as: (text: string) => unknown,
  ): { type: AvroSchema; fix: Fix } {
    const { precision, scale } = decimal;
    if (
      !Number.isInteger(precision) ||
      precision < 1 ||
      !Number.isInteger(scale) ||
      scale < 0 ||
      scale > precision
    )
      this.unmapped(
        path,
        'decimal',
        'precision must be a positive integer and scale an integer from 0 to precision',
      );
    return {
      type: { type: 'bytes', logicalType: 'decimal', precision, scale },
      fix: as === String ? identity : (v) => (typeof v === 'string' ? as(v) : v),
    };
  }

  root(schema: ZodType): DerivedAvro {
    const derived = this.derive(schema, '', this.rootName);
    return { schema: derived.type, fromAvro: derived.fix };
  }
}

function hintFor(type: string): string {
  switch (type) {
    case 'bigint':
      return 'use z.number().int() (Avro long)';
    case 'union':
      return 'only .optional() / .nullable() unions map (["null", T])';
    case 'literal':
      return 'use z.enum([...]) or z.string()';
    case 'pipe':
    case 'transform':
      return 'transforms cannot be read back from Avro; transform in the agent';
    default:
      return '';
  }
}

/**
 * The Avro schema of a zod schema; throws a {@link ConfigError} naming the field for a zod type
 * with no Avro mapping.
 *
 * @example
 * zodToAvro(z.object({ vendorId: z.int32(), total_amount: z.number() }), 'Ride').schema
 * // { type: 'record', name: 'Ride', fields: [{ name: 'vendorId', type: 'int' }, { name: 'total_amount', type: 'double' }] }
 */
export function zodToAvro(schema: ZodType, name: string): DerivedAvro {
  return new Deriver(pascal(name)).root(schema);
}

/** `timestamp-millis`: JS Dates on a long. */
class TimestampMillis extends avro.types.LogicalType {
  protected override _fromValue(value: number): Date {
    return new Date(value);
  }
  protected override _toValue(value: unknown): number | undefined {
    if (value instanceof Date) return value.getTime();
    // ISO text, as JSON input (strom send) carries dates
    const ms = typeof value === 'string' ? Date.parse(value) : value;
    return typeof ms === 'number' && Number.isFinite(ms) ? ms : undefined;
  }
  protected override _resolve(type: avro.Type): ((v: number) => number) | undefined {
    if (avro.Type.isType(type, 'long', 'int', 'logical:timestamp-millis')) return (v) => v;
    return undefined;
  }
}

/** `decimal` on bytes: big-endian two's complement of the unscaled value, decoded as a string. */
class Decimal extends avro.types.LogicalType {
  private readonly scale: number;
  constructor(schema: avro.Schema, opts?: unknown) {
    super(schema, opts);
    this.scale = Number((schema as { scale?: number }).scale ?? 0);
  }
  protected override _fromValue(bytes: Buffer): string {
    let unscaled = 0n;
    for (const byte of bytes) unscaled = (unscaled << 8n) | BigInt(byte);
    if (bytes.length > 0 && bytes[0]! & 0x80) unscaled -= 1n << BigInt(bytes.length * 8);
    const negative = unscaled < 0n;
    const digits = (negative ? -unscaled : unscaled).toString().padStart(this.scale + 1, '0');
    const text = this.scale === 0 ? digits : `${digits.slice(0, -this.scale)}.${digits.slice(-this.scale)}`;
    return negative ? `-${text}` : text;
  }
  protected override _toValue(value: unknown): Buffer | undefined {
    const text =
      typeof value === 'number'
        ? value.toFixed(this.scale)
        : typeof value === 'string'
          ? value.trim()
          : undefined;
    const m = text === undefined ? null : /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
    if (!m) return undefined;
    const fraction = (m[3] ?? '').padEnd(this.scale, '0');
    if (fraction.length > this.scale) return undefined; // more digits than the scale keeps
    let unscaled = BigInt(`${m[2]}${fraction}`) * (m[1] ? -1n : 1n);
    const bytes: number[] = [];
    do {
      bytes.unshift(Number(unscaled & 0xffn));
      unscaled >>= 8n;
    } while (
      !(unscaled === 0n && (bytes[0]! & 0x80) === 0) &&
      !(unscaled === -1n && (bytes[0]! & 0x80) !== 0)
    );
    return Buffer.from(bytes);
  }
  protected override _resolve(type: avro.Type): ((v: Buffer) => Buffer) | undefined {
    if (avro.Type.isType(type, 'logical:decimal')) {
      const other = type as unknown as { scale: number };
      if (other.scale === this.scale) return (v) => v;
    }
    return undefined;
  }
}

/** The avsc options every Strom Avro type is built with. */
const TYPE_OPTIONS = {
  wrapUnions: false,
  logicalTypes: { 'timestamp-millis': TimestampMillis, decimal: Decimal },
} as const;

/** An avsc type of an Avro schema, with Strom's logical types (Dates, decimals). */
export function avroType(schema: AvroSchema): avro.Type {
  // a fresh registry each time: avsc keeps named types in it, and two versions share names
  return avro.Type.forSchema(schema as avro.Schema, { ...TYPE_OPTIONS, registry: {} });
}
