/**
 * tableChangelog: 'per-commit' on the broker: a worker counts with one changelog record per
 * changed key per commit, far fewer than the events; the counts equal the truth; and a restarted
 * worker (memory store: recovery from the changelog; RocksDB: from its checkpoint) goes on from
 * them — at least once and exactly once.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '@strom/core';
import { afterEach, expect, it } from 'vitest';
import { brokers, createTopic, testLogLevel, topicEnd, uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { eventually, produceJson } from '../support/produce.js';

const running: WorkerProcess[] = [];
afterEach(() => killAll(running.splice(0)));

const KEYS = 10;

it.each([
  ['memory', 'at_least_once'],
  ['rocksdb', 'at_least_once'],
  ['memory', 'exactly_once'],
])(
  'per-commit changelog (%s store, %s): few records, exact counts across a restart',
  {
    timeout: 180_000,
  },
  async (store, guarantee) => {
    const input = await createTopic(uniqueName('per-commit-in'), { partitions: 2 });
    const id = uniqueName('per-commit-app');
    const produce = (from: number, n: number) =>
      produceJson(
        input,
        Array.from({ length: n }, (_, i) => ({
          value: { id: from + i, key: `k${(from + i) % KEYS}` },
          partition: (from + i) % 2,
        })),
      );
    const env = {
      TEST_APP_ID: id,
      TEST_INPUT: input,
      TEST_STORE: store,
      TEST_STATE_DIR: mkdtempSync(join(tmpdir(), 'strom-per-commit-')),
      TEST_TABLE_CHANGELOG: 'per-commit',
      TEST_GUARANTEE: guarantee,
    };
    const app = new App({ id, broker: brokers(), logLevel: testLogLevel() });
    app.table<string, number>('counts');
    const total = async () => {
      const counts = await app.readTable('counts');
      return [...counts.values()].reduce((s: number, v) => s + (v as number), 0);
    };
    const runUntilCounted = async (expected: number) => {
      const worker = spawnApp('test/fixtures/count-app.ts', ['worker'], env);
      running.push(worker);
      const counted = await eventually(async () => (await total().catch(() => 0)) === expected, 90_000);
      expect(counted, worker.lines.slice(-20).join('\n')).toBe(true);
      worker.child.kill('SIGTERM');
      expect(await worker.exited, worker.lines.slice(-20).join('\n')).toBe(0);
    };

    await produce(0, 5000);
    await runUntilCounted(5000);
    // one record per changed key per commit: a few per key, not one per event
    const records = await topicEnd(`${id}-counts-changelog`);
    expect(records).toBeLessThan(1000);
    await produce(5000, 3000);
    await runUntilCounted(8000);
    const counts = await app.readTable('counts');
    for (let k = 0; k < KEYS; k++) expect([`k${k}`, counts.get(`k${k}`)]).toEqual([`k${k}`, 800]);
  },
);
