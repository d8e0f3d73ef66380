import { App, avroCodec, DEAD_LETTER_HEADERS, SchemaRegistryClient, z } from '@strom/core';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers, collect, createTopic, kafka, testLogLevel, uniqueName } from '../support/kafka.js';
import { eventually } from '../support/produce.js';
import { registryUrl } from '../support/registry.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

function newApp(): App {
  return new App({ id: uniqueName('avro-test'), broker: brokers(), logLevel: testLogLevel() });
}

async function startWorker(app: App) {
  const worker = app.createWorker();
  await worker.start();
  stops.push(() => worker.stop());
  return worker;
}

async function produceBytes(topic: string, values: Buffer[]): Promise<void> {
  const producer = kafka().producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: values.map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }
}

const RideV1 = z.object({ VendorID: z.int32(), total_amount: z.number() });

describe('Avro through the schema registry', () => {
  const registry = new SchemaRegistryClient({ url: registryUrl() });

  it('round-trips rides with dates, enums, optionals and decimals in the Confluent wire format', async () => {
    const name = await createTopic(uniqueName('avro-rides'), { partitions: 1 });
    const Ride = z.object({
      VendorID: z.int32(),
      pickup: z.date(),
      payment: z.enum(['cash', 'card']),
      tip: z.number().optional(),
      note: z.string().nullable(),
      fare: z.string().meta({ avro: { decimal: { precision: 10, scale: 2 } } }),
      stops: z.array(z.object({ zone: z.string() })),
    });
    const app = newApp();
    const rides = app.topic(name, { value: Ride, valueCodec: avroCodec() });
    const seen: z.infer<typeof Ride>[] = [];
    app.agent(rides, async (stream) => {
      for await (const ride of stream) seen.push(ride);
    });
    await startWorker(app);
    const sent: z.infer<typeof Ride>[] = [
      {
        VendorID: 1,
        pickup: new Date('2021-01-01T00:15:56Z'),
        payment: 'card',
        tip: 2.5,
        note: null,
        fare: '12.05',
        stops: [],
      },
      {
        VendorID: 2,
        pickup: new Date('2021-01-01T00:31:49Z'),
        payment: 'cash',
        note: 'late',
        fare: '-0.50',
        stops: [{ zone: 'JFK' }],
      },
    ];
    for (const ride of sent) await rides.send(ride);
    expect(await eventually(() => seen.length >= 2)).toBe(true);
    expect(seen.map((r) => ({ ...r, stops: r.stops.map((s) => ({ ...s })) }))).toEqual(sent);

    const [raw] = await collect(name, 1);
    const registered = await registry.version(`${name}-value`, 'latest');
    expect(JSON.parse(registered.schema)).toMatchObject({ type: 'record', name: expect.any(String) });
    const bytes = raw!.valueBytes!;
    expect(bytes[0]).toBe(0); // magic byte
    expect(bytes.readUInt32BE(1)).toBe(registered.id);
  });

  it('reads records written with an older schema into the newer one (a field added with a default)', async () => {
    const name = await createTopic(uniqueName('avro-evolve'), { partitions: 1 });
    const writerApp = newApp();
    const v1 = writerApp.topic(name, { value: RideV1, valueCodec: avroCodec() });
    await v1.prepare();
    await produceBytes(name, [v1.encodeValue({ VendorID: 7, total_amount: 21.5 })!]);

    const RideV2 = RideV1.extend({
      tip_amount: z.number().default(0),
      store_and_fwd_flag: z.string().optional(),
    });
    const app = newApp();
    const v2 = app.topic(name, { value: RideV2, valueCodec: avroCodec({ compatibility: 'BACKWARD' }) });
    const seen: z.infer<typeof RideV2>[] = [];
    app.agent(v2, async (stream) => {
      for await (const ride of stream) seen.push(ride);
    });
    await startWorker(app); // registers v2: BACKWARD-compatible with v1
    await v2.send({ VendorID: 8, total_amount: 3, tip_amount: 1, store_and_fwd_flag: 'N' });
    expect(await eventually(() => seen.length >= 2)).toBe(true);
    expect(seen.map((r) => ({ ...r }))).toEqual([
      { VendorID: 7, total_amount: 21.5, tip_amount: 0 },
      { VendorID: 8, total_amount: 3, tip_amount: 1, store_and_fwd_flag: 'N' },
    ]);
    expect(await registry.versions(`${name}-value`)).toEqual([1, 2]);
    expect(await registry.compatibility(`${name}-value`)).toBe('BACKWARD');
  });

  it('refuses a breaking change at start with one line naming the field and the rule', async () => {
    const name = await createTopic(uniqueName('avro-breaking'), { partitions: 1 });
    const first = newApp();
    await first
      .topic(name, { value: RideV1, valueCodec: avroCodec({ compatibility: 'BACKWARD' }) })
      .prepare();

    const app = newApp();
    const breaking = z.object({ VendorID: z.int32(), total_amount: z.string() });
    app.agent(app.topic(name, { value: breaking, valueCodec: avroCodec() }), async (stream) => {
      for await (const _ of stream);
    });
    const error = await app
      .createWorker()
      .start()
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(error?.message).toBe(
      `the Avro value schema of topic '${name}' (subject '${name}-value') is incompatible with the registered one: ` +
        `field 'total_amount' changed type: "double" -> "string" (BACKWARD: new readers must read data written with version 1)`,
    );
    // the registry itself refused it (409); the line above is Strom's reading of why
    expect(error?.cause).toMatchObject({ status: 409 });
    expect(await registry.versions(`${name}-value`)).toEqual([1]);
  });

  it('registers under the record name with RecordNameStrategy, and refuses zod types with no Avro mapping at declaration', async () => {
    const app = newApp();
    const namespace = uniqueName('com.example').replace(/-/g, '_');
    const topic = app.topic(uniqueName('avro-by-record'), {
      value: RideV1,
      valueCodec: avroCodec({ subjectStrategy: 'record', name: 'RideRecord', namespace }),
    });
    await topic.prepare();
    const registered = await registry.version(`${namespace}.RideRecord`, 'latest');
    expect(JSON.parse(registered.schema)).toMatchObject({ name: 'RideRecord', namespace });
    expect(topic.encodeValue({ VendorID: 1, total_amount: 2 })!.readUInt32BE(1)).toBe(registered.id);
    expect(() =>
      app.topic(uniqueName('avro-unmapped'), {
        value: z.object({ fare: z.bigint() }),
        valueCodec: avroCodec(),
      }),
    ).toThrow("zod type 'bigint' at 'fare' has no Avro mapping: use z.number().int() (Avro long)");
  });

  it('dead-letters bad Avro input with the reason and goes on with the records around it', async () => {
    const name = await createTopic(uniqueName('avro-dlq'), { partitions: 1 });
    const app = newApp();
    const rides = app.topic(name, { value: RideV1, valueCodec: avroCodec() });
    const seen: number[] = [];
    app.agent(rides, async (stream) => {
      for await (const ride of stream) seen.push(ride.VendorID);
    });
    await startWorker(app);
    // a schema this topic cannot read, registered under another subject
    const otherId = await registry.register(
      uniqueName('avro-other-value'),
      JSON.stringify({ type: 'record', name: 'Other', fields: [{ name: 'VendorID', type: 'string' }] }),
    );
    const good = (vendor: number) => rides.encodeValue({ VendorID: vendor, total_amount: 1 })!;
    const header = (id: number) => {
      const h = Buffer.alloc(5);
      h.writeUInt32BE(id, 1);
      return h;
    };
    await produceBytes(name, [
      good(1),
      Buffer.from('{"VendorID": 2, "total_amount": 1}'),
      Buffer.concat([header(987654), Buffer.from([2, 0])]),
      good(4).subarray(0, 7),
      Buffer.concat([header(otherId), Buffer.from([2, 0x41])]),
      good(6),
    ]);
    expect(await eventually(() => seen.length >= 2)).toBe(true);
    expect(seen).toEqual([1, 6]);
    const dead = await collect(rides.deadLetterTopic, 4);
    const reasons = dead.map((d) => String(d.headers[DEAD_LETTER_HEADERS.reason]));
    expect(reasons[0]).toMatch(
      /value could not be decoded as avro: .*not in the Confluent Avro wire format \(magic byte 123, expected 0\)/,
    );
    expect(reasons[1]).toMatch(/unknown schema id 987654 \(the registry has no such schema\)/);
    expect(reasons[2]).toMatch(/undecodable Avro payload \(schema id \d+\)/);
    expect(reasons[3]).toMatch(
      new RegExp(
        `schema mismatch: data written with schema id ${otherId} cannot be read as ${name}-value: field 'VendorID' changed type: "string" -> "int"`,
      ),
    );
    expect(dead.map((d) => String(d.headers[DEAD_LETTER_HEADERS.offset]))).toEqual(['1', '2', '3', '4']);
  });
});
