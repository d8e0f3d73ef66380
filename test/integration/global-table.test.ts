import { App, type Worker, z } from '@strom/core';
import { afterEach, expect, it } from 'vitest';
import { brokers, createTopic, testLogLevel, uniqueName } from '../support/kafka.js';
import { eventually, produceJson } from '../support/produce.js';

const running: Worker[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.stop()));
});

const Zone = z.object({ id: z.number().int(), name: z.string() });

async function startWorker(id: string, input: string) {
  const app = new App({ id, broker: brokers(), logLevel: testLogLevel() });
  const zones = app.globalTable<number, string>('zones');
  app.agent(app.topic(input, { value: Zone }), async function loadZones(stream) {
    for await (const zone of stream) zones.set(zone.id, zone.name);
  });
  const worker = app.createWorker();
  await worker.start();
  running.push(worker);
  return { zones };
}

it('a global table is complete on every worker, and a new worker loads it before it starts', {
  timeout: 90_000,
}, async () => {
  const input = await createTopic(uniqueName('zones'), { partitions: 2 });
  const id = uniqueName('global-app');
  const a = await startWorker(id, input);
  const b = await startWorker(id, input);
  const names = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, name: `zone ${i + 1}` }));
  await produceJson(
    input,
    names.map((value) => ({ key: value.id, value })),
  );
  const expected = Object.fromEntries(names.map((z) => [String(z.id), z.name]));
  for (const worker of [a, b]) {
    expect(
      await eventually(async () => Object.keys(await worker.zones.toObject()).length === 10, 30_000),
    ).toBe(true);
    expect(await worker.zones.toObject()).toEqual(expected);
  }
  const c = await startWorker(id, input);
  await new Promise((r) => setTimeout(r, 500));
  expect(await c.zones.toObject()).toEqual(expected);
  expect(await c.zones.get(3)).toBe('zone 3');
});
