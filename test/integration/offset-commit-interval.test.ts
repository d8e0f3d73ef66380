import { App } from '@strom/core';
import { afterEach, expect, it } from 'vitest';
import { brokers, createTopic, testLogLevel, topicEnd, uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { eventually, produceJson, topicStopsGrowing } from '../support/produce.js';

const running: WorkerProcess[] = [];
afterEach(() => killAll(running.splice(0)));

it("offsetCommit 'interval': SIGTERM commits what was processed; a restart reprocesses nothing", {
  timeout: 90_000,
}, async () => {
  const input = await createTopic(uniqueName('interval-in'), { partitions: 2 });
  const id = uniqueName('interval-app');
  const keys = 10;
  const total = 2000;
  await produceJson(
    input,
    Array.from({ length: total }, (_, i) => ({ value: { id: i, key: `k${i % keys}` }, partition: i % 2 })),
  );
  const env = { TEST_APP_ID: id, TEST_INPUT: input, TEST_OFFSET_COMMIT: 'interval' };
  const changelog = `${id}-counts-changelog`;
  const first = spawnApp('test/fixtures/count-app.ts', ['worker'], env);
  running.push(first);
  expect(await eventually(async () => (await topicEnd(changelog).catch(() => 0)) >= total, 60_000)).toBe(
    true,
  );
  expect(await topicStopsGrowing(changelog)).toBe(true);
  first.child.kill('SIGTERM');
  expect(await first.exited).toBe(0);

  const second = spawnApp('test/fixtures/count-app.ts', ['worker'], env);
  running.push(second);
  await second.waitFor(/worker running/);
  // a reprocessed event would add a changelog record; give the worker time to fetch
  await new Promise((r) => setTimeout(r, 3000));
  expect(await topicEnd(changelog)).toBe(total);
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);

  const app = new App({ id, broker: brokers(), logLevel: testLogLevel() });
  app.table<string, number>('counts');
  const counts = await app.readTable('counts');
  expect([...counts.values()]).toEqual(Array.from({ length: keys }, () => total / keys));
});
