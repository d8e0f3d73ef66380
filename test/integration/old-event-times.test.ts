import { readFileSync } from 'node:fs';
import { App, z } from '@strom/core';
import { ConfigResourceTypes } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers, createTopic, kafka, testLogLevel, uniqueName } from '../support/kafka.js';
import { eventually, produceRecords } from '../support/produce.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

const RIDES_CSV = new URL('../../examples/taxi/data/rides.csv', import.meta.url);
const SEVEN_DAYS_MS = String(7 * 24 * 3_600_000);
/** DescribeConfigs' source of an entry set on the topic itself (DYNAMIC_TOPIC_CONFIG). */
const TOPIC_CONFIG_SOURCE = 1;
/** Per counted ride: the rides wait in the repartition topic for seconds, as behind a backlog. */
const RIDE_WORK_MS = 20;

/** rides.csv (TLC yellow taxi, July 2020): vendor and pickup time of every ride, in file order. */
function rides2020(): Array<{ vendorId: number; pickupMs: number }> {
  const [header, ...rows] = readFileSync(RIDES_CSV, 'utf8').trim().split('\n');
  const columns = header!.split(',');
  const vendor = columns.indexOf('VendorID');
  const pickup = columns.indexOf('tpep_pickup_datetime');
  return rows.map((row) => {
    const cells = row.split(',');
    return { vendorId: Number(cells[vendor]), pickupMs: Date.parse(`${cells[pickup]!.replace(' ', 'T')}Z`) };
  });
}

/** Produces the rides stamped with their pickup time (event time), keyed by vendor. */
const produceStamped = (topic: string, rides: Array<{ vendorId: number; pickupMs: number }>) =>
  produceRecords(
    topic,
    rides.map((r) => ({ key: JSON.stringify(r.vendorId), value: JSON.stringify(r), timestamp: r.pickupMs })),
  );

/** A topic's own config entries (set on the topic, not inherited from the broker). */
async function topicOverrides(topic: string): Promise<Record<string, string>> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    });
    const entries = resources[0]?.configEntries ?? [];
    const onTopic = entries.filter((e) => e.configSource === TOPIC_CONFIG_SOURCE);
    return Object.fromEntries(onTopic.map((e) => [e.configName, e.configValue]));
  } finally {
    await admin.disconnect();
  }
}

/** How often the broker applies time retention (5 minutes by Kafka's default, 1 s on the dev broker). */
async function retentionCheckIntervalMs(): Promise<number> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const { brokers: nodes } = await admin.describeCluster();
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: ConfigResourceTypes.BROKER,
          name: String(nodes[0]!.nodeId),
          configNames: ['log.retention.check.interval.ms'],
        },
      ],
    });
    return Number(resources[0]?.configEntries[0]?.configValue ?? 300_000);
  } finally {
    await admin.disconnect();
  }
}

async function lowWatermarks(topic: string): Promise<number[]> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).map((o) => Number(o.low));
  } finally {
    await admin.disconnect();
  }
}

const Ride = z.object({ vendorId: z.number().int(), pickupMs: z.number() });

describe('old event times on a real broker', () => {
  it('2020 rides replayed through a groupBy are all counted; a topic with time retention loses them', {
    timeout: 420_000,
  }, async () => {
    const rides = rides2020();
    expect(new Date(rides[0]!.pickupMs).getUTCFullYear()).toBe(2020);
    const expected: Record<string, number> = {};
    for (const r of rides) expected[r.vendorId] = (expected[r.vendorId] ?? 0) + 1;

    // the user keeps history on their input topic; a topic with Kafka's default 7-day retention
    // receives the same rides, to show the broker deletes 2020-stamped records while the test runs
    const input = await createTopic(uniqueName('rides-2020'), {
      partitions: 2,
      configEntries: { 'retention.ms': '-1' },
    });
    const control = await createTopic(uniqueName('rides-2020-7d'), {
      partitions: 1,
      configEntries: { 'retention.ms': SEVEN_DAYS_MS },
    });
    await produceStamped(input, rides);
    await produceStamped(control, rides);

    // small produce requests and fetches: the 266 rides behave like a backlog of millions, which
    // no single fetch holds, so the worker fetches repartition records seconds after they were written
    const app = new App({
      id: uniqueName('replay-app'),
      broker: brokers(),
      logLevel: testLogLevel(),
      producerMaxBatchRecords: 10,
      maxBytesPerPartition: 4096,
    });
    const counts = app.table<number, number>('per_vendor', { default: () => 0 });
    let processed = 0;
    app.agent(app.topic(input, { value: Ride }), async function countRides(stream) {
      for await (const ride of stream.groupBy((r) => r.vendorId, { name: 'vendor' })) {
        await new Promise((resolve) => setTimeout(resolve, RIDE_WORK_MS));
        await counts.update(ride.vendorId, (n) => n + 1);
        processed += 1;
      }
    });
    const worker = app.createWorker();
    await worker.start();
    stops.push(() => worker.stop());

    // lost rides never arrive: wait for all, or for a quiet spell after the last one counted
    let last = { processed: -1, at: Date.now() };
    await eventually(() => {
      if (processed !== last.processed) last = { processed, at: Date.now() };
      return processed >= rides.length || Date.now() - last.at > 10_000;
    }, 90_000);
    expect(await counts.toObject()).toEqual(expected);
    expect(processed).toBe(rides.length);

    // repartition topics keep records until the app purged them; changelogs only compact
    const repartition = `${app.id}-vendor-repartition`;
    expect(await topicOverrides(repartition)).toMatchObject({
      'retention.ms': '-1',
      'cleanup.policy': 'delete',
    });
    const changelog = await topicOverrides(`${app.id}-per_vendor-changelog`);
    expect(changelog['cleanup.policy']).toBe('compact');

    const deletedWithin = (await retentionCheckIntervalMs()) + 30_000;
    expect(await eventually(async () => (await lowWatermarks(control))[0]! > 0, deletedWithin)).toBe(true);
  });

  it('a worker purges the repartition records its group committed, and only those', {
    timeout: 120_000,
  }, async () => {
    const input = await createTopic(uniqueName('purge-in'), { partitions: 1 });
    const app = new App({
      id: uniqueName('purge-app'),
      broker: brokers(),
      logLevel: testLogLevel(),
      repartitionPurgeIntervalMs: 300,
    });
    const HELD = 10;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let processed = 0;
    app.agent(app.topic(input, { value: z.object({ n: z.number().int() }) }), async function hold(stream) {
      for await (const { n } of stream.groupBy(() => 'all', { name: 'all' })) {
        if (n === HELD) await gate;
        processed += 1;
      }
    });
    const worker = app.createWorker();
    await worker.start();
    stops.push(() => worker.stop());
    await produceRecords(
      input,
      Array.from({ length: 2 * HELD + 1 }, (_, n) => ({ value: JSON.stringify({ n }) })),
    );

    const repartition = `${app.id}-all-repartition`;
    const state = async () => {
      const admin = kafka().admin();
      await admin.connect();
      try {
        const [offsets] = await admin.fetchTopicOffsets(repartition);
        const [group] = await admin.fetchOffsets({ groupId: app.id, topics: [repartition] });
        return {
          low: Number(offsets!.low),
          high: Number(offsets!.high),
          committed: Number(group!.partitions[0]!.offset),
        };
      } finally {
        await admin.disconnect();
      }
    };
    // events 0..9 are done and committed; event 10 is held: the records before it go, it stays
    expect(await eventually(async () => (await state()).low === HELD, 30_000)).toBe(true);
    expect(processed).toBe(HELD);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // several purge rounds
    expect(await state()).toEqual({ low: HELD, high: 2 * HELD + 1, committed: HELD });

    release();
    expect(await eventually(() => processed === 2 * HELD + 1, 30_000)).toBe(true);
    expect(await eventually(async () => (await state()).low === 2 * HELD + 1, 30_000)).toBe(true);
    expect(await state()).toEqual({ low: 2 * HELD + 1, high: 2 * HELD + 1, committed: 2 * HELD + 1 });
  });
});
