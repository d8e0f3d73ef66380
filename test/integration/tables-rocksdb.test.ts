import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Worker } from '@strom/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { brokers, createTopic, testLogLevel, topicEnd, uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { eventually, produceJson } from '../support/produce.js';

const stateDir = mkdtempSync(join(tmpdir(), 'strom-rocksdb-test-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));
const running: Worker[] = [];
const processes: WorkerProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.stop()));
  await killAll(processes.splice(0));
});

const keys = 20;
const events = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    key: `k${(from + i) % keys}`,
    value: { n: from + i },
    partition: (from + i) % 2,
  }));

async function startCounter(id: string, input: string) {
  const app = new App({ id, broker: brokers(), logLevel: testLogLevel(), store: 'rocksdb', stateDir });
  const counts = app.table<string, number>('counts', { default: () => 0 });
  let processed = 0;
  app.agent(app.topic<{ n: number }, string>(input), async function count(stream) {
    for await (const e of stream.events()) {
      await counts.update(e.key, (c) => c + 1);
      processed += 1;
    }
  });
  const worker = app.createWorker();
  await worker.start();
  running.push(worker);
  return { app, worker, counts, processed: () => processed };
}

describe('tables on RocksDB', () => {
  it('a restarted worker reads only the changelog after its checkpoint', { timeout: 90_000 }, async () => {
    const input = await createTopic(uniqueName('rocks-in'), { partitions: 2 });
    const id = uniqueName('rocks-app');
    await produceJson(input, events(0, 5000));
    const first = await startCounter(id, input);
    expect(await eventually(() => first.processed() === 5000, 60_000)).toBe(true);
    await running.pop()!.stop();
    expect(first.worker.recoveries.reduce((n, r) => n + r.records, 0)).toBe(0);

    await produceJson(input, events(5000, 100));
    const second = await startCounter(id, input);
    expect(await eventually(() => second.processed() === 100, 60_000)).toBe(true);
    const read = second.worker.recoveries.reduce((n, r) => n + r.records, 0);
    console.info(
      `RocksDB restart: recovery read ${read} of ${await topicEnd(`${id}-counts-changelog`)} changelog records`,
    );
    expect(read).toBe(0); // the checkpoint is at the end of the changelog
    for (let k = 0; k < keys; k++) expect(await second.counts.get(`k${k}`)).toBe(5100 / keys);
    await running.pop()!.stop();

    // no event after this restart: every value is in RocksDB only, none in the cache; reads
    // outside agent code (a timer, a web handler) must still find them
    const third = await startCounter(id, input);
    expect(await eventually(async () => (await third.counts.get('k3')) === 5100 / keys, 30_000)).toBe(true);
    expect(third.processed()).toBe(0);
    expect(await third.counts.has('k7')).toBe(true);
    expect(await third.counts.has('nope')).toBe(false);
  });

  it('after kill -9, recovery reads only the tail past the last checkpoint, and no count is below the truth', {
    timeout: 120_000,
  }, async () => {
    const input = await createTopic(uniqueName('rocks-crash'), { partitions: 2 });
    const id = uniqueName('rocks-crash-app');
    const total = 6000;
    await produceJson(
      input,
      Array.from({ length: total }, (_, i) => ({ value: { id: i, key: `k${i % keys}` }, partition: i % 2 })),
    );
    const env = { TEST_APP_ID: id, TEST_INPUT: input, TEST_STORE: 'rocksdb', TEST_STATE_DIR: stateDir };
    const changelog = `${id}-counts-changelog`;
    const first = spawnApp('test/fixtures/count-app.ts', ['worker'], { ...env, TEST_SLOW_EVERY: '10' });
    processes.push(first);
    expect(await eventually(async () => (await topicEnd(changelog).catch(() => 0)) >= 3000, 60_000)).toBe(
      true,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await topicEnd(changelog);

    const second = spawnApp('test/fixtures/count-app.ts', ['worker'], env);
    processes.push(second);
    await second.waitFor(/worker running/);
    expect(await eventually(async () => (await topicEnd(changelog)) >= total, 60_000)).toBe(true);
    const recovered = second.lines
      .filter((l) => l.includes('table partition recovered'))
      .map((l) => JSON.parse(l) as { records: number; fromOffset: string });
    expect(recovered.length).toBe(2);
    const read = recovered.reduce((n, r) => n + r.records, 0);
    console.info(
      `RocksDB kill -9: recovery read ${read} of ${atKill} changelog records written before the kill`,
    );
    expect(read).toBeLessThan(atKill / 2);
    expect(recovered.some((r) => Number(r.fromOffset) > 0)).toBe(true);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const app = new App({ id, broker: brokers(), logLevel: testLogLevel() });
    app.table<string, number>('counts');
    const counts = await app.readTable('counts');
    for (let k = 0; k < keys; k++) expect(counts.get(`k${k}`)).toBeGreaterThanOrEqual(total / keys);
  });
});
