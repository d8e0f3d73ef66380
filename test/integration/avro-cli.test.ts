import { App, avroCodec, SchemaRegistryClient, z } from '@strom/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { brokers, collect, createTopic, testLogLevel, uniqueName } from '../support/kafka.js';
import { registryUrl } from '../support/registry.js';
import { captureCli } from '../support/run-cli.js';

const Ride = z.object({ vendor_id: z.int32(), total_amount: z.number(), pickup: z.date() });

let savedEnv: NodeJS.ProcessEnv;
beforeEach(() => {
  savedEnv = { ...process.env };
});
afterEach(() => {
  process.env = savedEnv;
});

describe('strom schemas and strom send on Avro topics', () => {
  const registry = new SchemaRegistryClient({ url: registryUrl() });

  it('lists subjects with versions, latest id and compatibility, and sets compatibility', async () => {
    const name = await createTopic(uniqueName('cli-avro'), { partitions: 1 });
    const app = new App({ id: uniqueName('cli-avro'), broker: brokers(), logLevel: testLogLevel() });
    await app.topic(name, { value: Ride, valueCodec: avroCodec() }).prepare();
    const subject = `${name}-value`;
    const { id } = await registry.version(subject, 'latest');

    const listed = await captureCli(['schemas', '--registry', registryUrl(), '--subject', subject]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${subject}\\s+1\\s+${id}\\s+BACKWARD$`, 'm'));

    const set = await captureCli(['schemas', '--subject', subject, '--compatibility', 'full_transitive']);
    expect(set).toMatchObject({ code: 0, stdout: `${subject} compatibility: FULL_TRANSITIVE\n` });
    expect(await registry.compatibility(subject)).toBe('FULL_TRANSITIVE');

    const shown = await captureCli(['schemas', '--subject', subject, '--show']);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      type: 'record',
      fields: [{ name: 'vendor_id', type: 'int' }, {}, {}],
    });

    const bad = await captureCli(['schemas', '--compatibility', 'sideways']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^strom: --compatibility must be one of NONE, BACKWARD/);
  });

  it('strom send encodes JSON through the registry, strom topic tail decodes it, and send names the fields of a value that does not fit', async () => {
    const name = await createTopic(uniqueName('cli-avro-send'), { partitions: 1 });
    const app = new App({ id: uniqueName('cli-avro-send'), broker: brokers(), logLevel: testLogLevel() });
    const topic = app.topic(name, { value: Ride, valueCodec: avroCodec() });
    const value = '{"vendor_id": 2, "total_amount": 17.5, "pickup": "2021-01-01T00:15:56Z"}';
    const sent = await captureCli(['send', name, value, '-b', brokers().join(',')], app);
    expect(sent).toMatchObject({ code: 0, stdout: `sent 1 record to ${name}\n` });
    const [record] = await collect(name, 1);
    expect(topic.valueCodec.decode(record!.valueBytes!)).toEqual({
      vendor_id: 2,
      total_amount: 17.5,
      pickup: new Date('2021-01-01T00:15:56Z'),
    });

    const tail = await captureCli(['topic', 'tail', name, '-n', '1', '-b', brokers().join(',')], app);
    expect(tail.code).toBe(0);
    expect(tail.stdout).toContain(
      'value={"vendor_id":2,"total_amount":17.5,"pickup":"2021-01-01T00:15:56.000Z"}',
    );

    const misfit = await captureCli(
      ['send', name, '{"vendor_id": 2, "total_amount": "lots"}', '-b', brokers().join(',')],
      app,
    );
    expect(misfit.code).toBe(1);
    expect(misfit.stderr).toBe(
      `strom: value does not fit the Avro schema of topic '${name}': total_amount: "lots" is not a double; pickup: undefined is not a timestamp-millis\n`,
    );
  });
});
