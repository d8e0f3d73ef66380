import { describe, expect, it } from 'vitest';
import { runAvroDemo } from '../avro-demo.js';

describe('the course Avro producer and consumer on rides.csv, through the schema registry', () => {
  it('reads back every ride sent as Avro, and the registry refuses total_amount as a string', {
    timeout: 120_000,
  }, async () => {
    const result = await runAvroDemo();
    expect(result.produced).toBe(266);
    expect(result.consumed).toBe(266);
    expect(Object.fromEntries(Object.entries(result.byVendor).map(([v, s]) => [v, s.rides]))).toEqual({
      '1': 87,
      '2': 179,
    });
    expect(result.breakingChange).toBe(
      "the Avro value schema of topic 'rides_avro' (subject 'rides_avro-value') is incompatible with the " +
        `registered one: field 'total_amount' changed type: "double" -> "string" (BACKWARD: new readers must read data written with version 1)`,
    );
  });
});
