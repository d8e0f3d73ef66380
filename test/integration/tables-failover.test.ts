import { App, type Worker } from '@strom/core';
import { afterEach, expect, it } from 'vitest';
import { brokers, createTopic, kafka, testLogLevel, uniqueName } from '../support/kafka.js';
import { eventually, produceJson } from '../support/produce.js';

const running: Worker[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.stop()));
});

/** One worker of the counting app (each call is one "process" of the same app). */
async function startWorker(id: string, input: string) {
  const app = new App({
    id,
    broker: brokers(),
    logLevel: testLogLevel(),
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 1000,
    // a changelog record per update: the test follows progress by the changelog's size
    tableChangelog: 'every-update',
  });
  const counts = app.table<string, number>('counts', { default: () => 0 });
  app.agent(app.topic<{ n: number }, string>(input), async function count(stream) {
    for await (const e of stream.events()) await counts.update(e.key, (c) => c + 1);
  });
  const worker = app.createWorker();
  await worker.start();
  running.push(worker);
  return { app, worker };
}

async function groupOwners(groupId: string, topic: string): Promise<Map<number, string>> {
  const admin = kafka().admin();
  await admin.connect();
  const { groups } = await admin.describeGroups([groupId]);
  await admin.disconnect();
  const { AssignerProtocol } = await import('kafkajs');
  const owners = new Map<number, string>();
  for (const m of groups[0]?.members ?? []) {
    const assignment = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {};
    for (const p of assignment[topic] ?? []) owners.set(p, m.memberId);
  }
  return owners;
}

const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
const batch = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ key: keys[(from + i) % keys.length], value: { n: from + i } }));

it('a worker joining mid-stream and leaving: counts reach the truth, tables stay with their source partitions, and the survivor promotes its standbys instead of replaying', {
  timeout: 120_000,
}, async () => {
  const input = await createTopic(uniqueName('counted'), { partitions: 4 });
  const id = uniqueName('failover-app');
  await produceJson(input, batch(0, 20_000));
  const a = await startWorker(id, input);
  const changelog = `${id}-counts-changelog`;
  const changelogSize = async () => {
    const admin = kafka().admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(changelog);
    await admin.disconnect();
    return offsets.reduce((n, o) => n + Number(o.high), 0);
  };
  expect(await eventually(async () => (await changelogSize()) >= 5000)).toBe(true);

  const b = await startWorker(id, input); // joins mid-stream
  expect(
    await eventually(
      async () =>
        (await groupOwners(id, input)).size === 4 &&
        new Set((await groupOwners(id, input)).values()).size === 2,
    ),
  ).toBe(true);
  expect(await eventually(async () => (await changelogSize()) >= 20_000, 60_000)).toBe(true);

  // partition p of the source and of the changelog have the same owner
  const owners = await groupOwners(id, input);
  const tables = await a.app.describeTables();
  for (const [p, member] of owners) expect(tables[0]!.owners[p]).toContain(member.slice(-8));

  // standbys are following: give them a moment, then the second worker leaves
  await produceJson(input, batch(20_000, 20_000));
  expect(await eventually(async () => (await changelogSize()) >= 40_000, 60_000)).toBe(true);
  await new Promise((r) => setTimeout(r, 1500));
  const before = a.worker.recoveries.length;
  await b.worker.stop();
  expect(await eventually(() => a.worker.recoveries.length >= before + 2, 30_000)).toBe(true);

  const promoted = a.worker.recoveries.slice(before);
  expect(promoted.every((r) => r.promoted)).toBe(true);
  const replayed = promoted.reduce((n, r) => n + r.records, 0);
  console.info(
    `failover: promoted ${promoted.length} standby partitions, replayed ${replayed} of ${await changelogSize()} changelog records`,
  );
  expect(replayed).toBeLessThan((await changelogSize()) / 100);

  const final = await a.app.readTable('counts');
  for (const key of keys) expect(final.get(key)).toBeGreaterThanOrEqual(1000);
  expect([...final.values()].reduce((sum: number, v) => sum + (v as number), 0)).toBeGreaterThanOrEqual(
    40_000,
  );
});
