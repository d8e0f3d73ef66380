import { App, avroCodec, DEAD_LETTER_HEADERS, SchemaRegistryClient, z } from '@strom/core';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers, collect, createTopic, kafka, testLogLevel, uniqueName } from '../support/kafka.js';
import { eventually } from '../support/produce.js';
import { registryUrl } from '../support/registry.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const Ride = z.object({ VendorID: z.int32(), total_amount: z.number() });
const RideWithTip = Ride.extend({ tip: z.number().default(0) });

describe('Avro when the schema registry goes away', () => {
  it('waits for a registry that comes back, and dead-letters only once it stays away', {
    timeout: 60_000,
  }, async () => {
    // the run's registry behind a proxy this test can cut: the worker sees connection refused,
    // as from a stopped registry, while the registry itself keeps its schemas
    const real = new URL(registryUrl());
    const proxy = await startTcpProxy({ host: real.hostname, port: Number(real.port) });
    cleanups.push(() => proxy.close());
    const url = `http://127.0.0.1:${proxy.port}${real.pathname}`;
    const registry = new SchemaRegistryClient({ url });
    const name = await createTopic(uniqueName('avro-outage'), { partitions: 1 });
    const app = new App({ id: uniqueName('avro-outage'), broker: brokers(), logLevel: testLogLevel() });
    const rides = app.topic(name, { value: Ride, valueCodec: avroCodec({ registryUrl: url }) });
    const seen: number[] = [];
    app.agent(rides, async (stream) => {
      for await (const ride of stream) seen.push(ride.VendorID);
    });
    const worker = app.createWorker();
    await worker.start();
    cleanups.push(() => worker.stop());

    // a newer writer's schema, whose id the worker has not seen
    const subject = `${name}-value`;
    const writer = new App({
      id: uniqueName('avro-outage-writer'),
      broker: brokers(),
      logLevel: testLogLevel(),
    });
    const newer = writer.topic(name, { value: RideWithTip, valueCodec: avroCodec({ registryUrl: url }) });
    await newer.prepare();
    const producer = kafka().producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const send = (value: Buffer) => producer.send({ topic: name, messages: [{ value }] });

    // Step 1: the registry is away for a moment while a record needs it: the worker waits, then reads it
    await proxy.cut();
    await send(newer.encodeValue({ VendorID: 1, total_amount: 5, tip: 1 })!);
    await new Promise((r) => setTimeout(r, 700));
    await proxy.restore();
    expect(await eventually(() => seen.length >= 1)).toBe(true);
    expect(seen).toEqual([1]);
    expect((await registry.versions(subject)).length).toBe(2);

    // Step 2: it stays away: the record needing it is dead-lettered, the next one is read
    const other = await registry.register(
      uniqueName('avro-outage-other-value'),
      JSON.stringify({
        type: 'record',
        name: 'Ride',
        fields: [
          { name: 'VendorID', type: 'int' },
          { name: 'total_amount', type: 'double' },
          { name: 'note', type: 'string', default: '' },
        ],
      }),
    );
    await proxy.cut();
    const header = Buffer.alloc(5);
    header.writeUInt32BE(other, 1);
    await send(Buffer.concat([header, Buffer.from([4, 0, 0, 0, 0, 0, 0, 0, 0, 0])]));
    await send(rides.encodeValue({ VendorID: 3, total_amount: 7 })!);
    expect(await eventually(() => seen.length >= 2, 20_000)).toBe(true);
    expect(seen).toEqual([1, 3]);
    const [dead] = await collect(rides.deadLetterTopic, 1);
    expect(String(dead!.headers[DEAD_LETTER_HEADERS.reason])).toBe(
      `value could not be decoded as avro: AvroDecodeError: schema id ${other} could not be fetched from the registry`,
    );
  });
});
