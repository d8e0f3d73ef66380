import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compatibilityProblems } from './avro-compatibility.js';
import { avroType, zodToAvro } from './avro-schema.js';

describe('zodToAvro', () => {
  it('maps each supported zod type to its Avro type', () => {
    const Ride = z.object({
      small: z.int32(),
      bounded: z.number().int().min(0).max(10),
      big: z.number().int(),
      amount: z.number(),
      ratio: z.float32(),
      flag: z.boolean(),
      text: z.string(),
      id: z.uuid(),
      payment: z.enum(['cash', 'card']),
      tip: z.number().optional(),
      note: z.string().nullable(),
      passengers: z.number().int().default(1),
      tags: z.array(z.string()),
      extras: z.record(z.string(), z.number()),
      pickup: z.date(),
      fare: z.string().meta({ avro: { decimal: { precision: 10, scale: 2 } } }),
      where: z.object({ zone: z.string() }),
    });
    const { schema } = zodToAvro(Ride, 'rides');
    expect(schema).toEqual({
      type: 'record',
      name: 'Rides',
      fields: [
        { name: 'small', type: 'int' },
        { name: 'bounded', type: 'int' },
        { name: 'big', type: 'long' },
        { name: 'amount', type: 'double' },
        { name: 'ratio', type: 'float' },
        { name: 'flag', type: 'boolean' },
        { name: 'text', type: 'string' },
        { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
        { name: 'payment', type: { type: 'enum', name: 'RidesPayment', symbols: ['cash', 'card'] } },
        { name: 'tip', type: ['null', 'double'], default: null },
        { name: 'note', type: ['null', 'string'], default: null },
        { name: 'passengers', type: 'long', default: 1 },
        { name: 'tags', type: { type: 'array', items: 'string' } },
        { name: 'extras', type: { type: 'map', values: 'double' } },
        { name: 'pickup', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'fare', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
        {
          name: 'where',
          type: { type: 'record', name: 'RidesWhere', fields: [{ name: 'zone', type: 'string' }] },
        },
      ],
    });
  });

  it('reads back what the zod schema accepts: dates, decimals, absent optionals, kept nulls', () => {
    const Ride = z.object({
      at: z.date(),
      fare: z.string().meta({ avro: { decimal: { precision: 12, scale: 3 } } }),
      fee: z.number().meta({ avro: { decimal: { precision: 6, scale: 2 } } }),
      tip: z.number().optional(),
      note: z.string().nullable(),
    });
    const derived = zodToAvro(Ride, 'ride');
    const type = avroType(derived.schema);
    for (const fare of ['0.000', '-0.001', '123456789.125', '-128.000', '255.255']) {
      const value = { at: new Date(1609459200123), fare, fee: 2.5, note: null };
      const back = derived.fromAvro(type.fromBuffer(type.toBuffer(value)));
      expect(Ride.parse(back)).toEqual(value);
    }
  });

  it('rejects zod types with no Avro mapping, naming the field', () => {
    expect(() => zodToAvro(z.object({ fare: z.bigint() }), 'r')).toThrow(
      "zod type 'bigint' at 'fare' has no Avro mapping: use z.number().int() (Avro long)",
    );
    expect(() => zodToAvro(z.object({ a: z.object({ b: z.union([z.string(), z.number()]) }) }), 'r')).toThrow(
      /'union' at 'a.b' has no Avro mapping/,
    );
    expect(() => zodToAvro(z.object({ kind: z.enum(['a-b']) }), 'r')).toThrow(/enum value "a-b" at 'kind'/);
    expect(() => zodToAvro(z.object({ 'pickup-zone': z.string() }), 'r')).toThrow(/at 'pickup-zone'/);
  });
});

describe('compatibilityProblems', () => {
  const v1 = { type: 'record', name: 'Ride', fields: [{ name: 'total_amount', type: 'double' }] };
  const field = (type: unknown, extra: object = {}) => ({
    type: 'record',
    name: 'Ride',
    fields: [
      { name: 'total_amount', type: 'double' },
      { name: 'tip', type, ...extra },
    ],
  });

  it('names the field and the rule a change breaks', () => {
    const asString = { ...v1, fields: [{ name: 'total_amount', type: 'string' }] };
    expect(compatibilityProblems(asString, [{ version: 1, schema: v1 }], 'BACKWARD')).toEqual([
      `field 'total_amount' changed type: "double" -> "string" (BACKWARD: new readers must read data written with version 1)`,
    ]);
    expect(compatibilityProblems(field('double'), [{ version: 3, schema: v1 }], 'BACKWARD')).toEqual([
      `field 'tip' is missing from the written data and has no default (BACKWARD: new readers must read data written with version 3)`,
    ]);
    // dropping a field that has no default: old readers cannot read new data
    expect(compatibilityProblems(v1, [{ version: 1, schema: field('double') }], 'FULL')).toEqual([
      `field 'tip' is missing from the written data and has no default (FULL: readers of version 1 must read new data)`,
    ]);
    expect(compatibilityProblems(v1, [{ version: 2, schema: field('double') }], 'BACKWARD')).toEqual([]);
    expect(compatibilityProblems(field('double'), [{ version: 2, schema: v1 }], 'FORWARD')).toEqual([]);
    expect(compatibilityProblems(field('double'), [{ version: 2, schema: v1 }], 'NONE')).toEqual([]);
  });

  it('allows what Avro resolution allows: promotions and added fields with defaults', () => {
    const asInt = { ...v1, fields: [{ name: 'total_amount', type: 'int' }] };
    expect(compatibilityProblems(v1, [{ version: 1, schema: asInt }], 'BACKWARD')).toEqual([]);
    expect(
      compatibilityProblems(
        field(['null', 'double'], { default: null }),
        [{ version: 1, schema: v1 }],
        'FULL',
      ),
    ).toEqual([]);
  });

  it('checks every older version under a transitive level, only the latest otherwise', () => {
    const v2 = field(['null', 'double'], { default: null });
    const v3 = {
      ...v1,
      fields: [
        { name: 'total_amount', type: 'double' },
        { name: 'tip', type: 'double' },
      ],
    };
    const history = [
      { version: 1, schema: v1 },
      { version: 2, schema: v2 },
    ];
    expect(compatibilityProblems(v3, history, 'FORWARD')).toEqual([]);
    expect(compatibilityProblems(v3, history, 'FORWARD_TRANSITIVE')).toEqual([]);
    expect(compatibilityProblems(v3, history, 'BACKWARD_TRANSITIVE')).toHaveLength(2);
  });
});
