/**
 * Exactly-once on the broker: a counting worker (groupBy + table) killed with SIGKILL mid-stream
 * twice and restarted counts every event exactly once — the table read from its read_committed
 * changelog equals the truth, with no over-count (at-least-once over-counts here: see
 * tables-crash.test.ts).
 */
import { App } from '@strom/core';
import { afterEach, expect, it } from 'vitest';
import { brokers, createTopic, testLogLevel, topicEnd, uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { eventually, produceJson } from '../support/produce.js';

const running: WorkerProcess[] = [];
afterEach(() => killAll(running.splice(0)));

it('exactly-once: two kill -9 mid-stream and restarts, and the table equals the truth exactly', {
  timeout: 180_000,
}, async () => {
  const input = await createTopic(uniqueName('eos-in'), { partitions: 2 });
  const id = uniqueName('eos-app');
  const keys = 20;
  const total = 8000;
  await produceJson(
    input,
    Array.from({ length: total }, (_, i) => ({ value: { id: i, key: `k${i % keys}` }, partition: i % 2 })),
  );
  const env = { TEST_APP_ID: id, TEST_INPUT: input, TEST_GUARANTEE: 'exactly_once' };
  const changelog = `${id}-counts-changelog`;
  for (const killAfter of [1500, 3500]) {
    const worker = spawnApp('test/fixtures/count-app.ts', ['worker'], { ...env, TEST_SLOW_EVERY: '5' });
    running.push(worker);
    const moved = await eventually(
      async () => (await topicEnd(changelog).catch(() => 0)) >= killAfter,
      90_000,
    );
    expect(moved, worker.lines.slice(-20).join('\n')).toBe(true);
    worker.child.kill('SIGKILL');
    await worker.exited;
  }
  const app = new App({ id, broker: brokers(), logLevel: testLogLevel() });
  app.table<string, number>('counts');
  const sum = async () => {
    const counts = await app.readTable('counts');
    return [...counts.values()].reduce((s: number, v) => s + (v as number), 0);
  };
  // the kills came mid-stream: what is committed so far is short of the input
  const countedBeforeLast = await sum();
  expect(countedBeforeLast).toBeLessThan(total);
  const last = spawnApp('test/fixtures/count-app.ts', ['worker'], env);
  running.push(last);
  await last.waitFor(/"worker running"/);
  expect(await eventually(async () => (await sum()) >= total, 90_000), last.lines.slice(-20).join('\n')).toBe(
    true,
  );
  last.child.kill('SIGTERM');
  expect(await last.exited, last.lines.slice(-20).join('\n')).toBe(0);
  const counts = await app.readTable('counts');
  expect(counts.size).toBe(keys);
  for (const [key, count] of counts) expect([key, count]).toEqual([key, total / keys]);
});
