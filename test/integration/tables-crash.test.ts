import { App } from '@strom/core';
import { afterEach, expect, it } from 'vitest';
import { brokers, createTopic, testLogLevel, topicEnd, uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { eventually, produceJson, topicStopsGrowing } from '../support/produce.js';

const running: WorkerProcess[] = [];
afterEach(() => killAll(running.splice(0)));

it('kill -9 mid-stream and a restart: no count below the truth, over-counting bounded', {
  timeout: 120_000,
}, async () => {
  const input = await createTopic(uniqueName('crash-in'), { partitions: 2 });
  const id = uniqueName('crash-app');
  const keys = 20;
  const total = 8000;
  await produceJson(
    input,
    Array.from({ length: total }, (_, i) => ({ value: { id: i, key: `k${i % keys}` }, partition: i % 2 })),
  );
  const env = { TEST_APP_ID: id, TEST_INPUT: input };
  const first = spawnApp('test/fixtures/count-app.ts', ['worker'], { ...env, TEST_SLOW_EVERY: '10' });
  running.push(first);
  const changelog = `${id}-counts-changelog`;
  expect(await eventually(async () => (await topicEnd(changelog).catch(() => 0)) >= 2000, 60_000)).toBe(true);
  first.child.kill('SIGKILL');
  await first.exited;

  const second = spawnApp('test/fixtures/count-app.ts', ['worker'], env);
  running.push(second);
  await second.waitFor(/worker running/);
  // every event counted at least once: the changelog grows to at least `total` updates
  expect(await eventually(async () => (await topicEnd(changelog)) >= total, 60_000)).toBe(true);
  // and then stops growing
  expect(await topicStopsGrowing(changelog)).toBe(true);
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);

  const app = new App({ id, broker: brokers(), logLevel: testLogLevel() });
  app.table<string, number>('counts');
  const counts = await app.readTable('counts');
  const truth = total / keys;
  const below = [...counts].filter(([, v]) => (v as number) < truth);
  expect(below).toEqual([]);
  expect(counts.size).toBe(keys);
  const overCount = [...counts.values()].reduce((s: number, v) => s + (v as number), 0) - total;
  console.info(
    `kill -9 with a table: over-count ${overCount} of ${total} events (${((overCount / total) * 100).toFixed(1)}%)`,
  );
  // bounded by what the killed worker did since its last commit: commits happen after every batch
  // and every commitIntervalMs (1 s) inside one, and this worker counts about 500 events/s
  expect(overCount).toBeLessThan(1500);
});
