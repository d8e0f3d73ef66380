import { App } from '@strom/core';
import { afterEach, expect, it } from 'vitest';
import { brokers, createTopic, testLogLevel, topicEnd, uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { eventually, produceJson, topicStopsGrowing } from '../support/produce.js';

const running: WorkerProcess[] = [];
afterEach(() => killAll(running.splice(0)));

it.each(['pipelined', 'interval'])(
  "offsetCommit '%s': SIGTERM commits what was processed; a restart reprocesses nothing",
  {
    timeout: 90_000,
  },
  async (offsetCommit) => {
    const input = await createTopic(uniqueName(`${offsetCommit}-in`), { partitions: 2 });
    const id = uniqueName(`${offsetCommit}-app`);
    const keys = 10;
    const total = 2000;
    await produceJson(
      input,
      Array.from({ length: total }, (_, i) => ({ value: { id: i, key: `k${i % keys}` }, partition: i % 2 })),
    );
    const env = { TEST_APP_ID: id, TEST_INPUT: input, TEST_OFFSET_COMMIT: offsetCommit };
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
  },
);

it.each(['every-batch', 'pipelined', 'interval'])(
  "offsetCommit '%s': a member joining while records flow makes the group process nothing twice",
  { timeout: 120_000 },
  async (offsetCommit) => {
    const partitions = 4;
    const keys = 8;
    const rounds = 40;
    const perRound = 100;
    const total = rounds * perRound;
    const input = await createTopic(uniqueName(`join-${offsetCommit}-in`), { partitions });
    const id = uniqueName(`join-${offsetCommit}-app`);
    const env = { TEST_APP_ID: id, TEST_INPUT: input, TEST_OFFSET_COMMIT: offsetCommit };
    const changelog = `${id}-counts-changelog`;
    const first = spawnApp('test/fixtures/count-app.ts', ['worker'], env);
    running.push(first);
    await first.waitFor(/worker running/);
    // 100 records every 100 ms for 4 s; the second member joins after 1 s, while they flow
    let second: WorkerProcess | undefined;
    for (let round = 0; round < rounds; round++) {
      if (round === 10) {
        second = spawnApp('test/fixtures/count-app.ts', ['worker'], env);
        running.push(second);
      }
      await produceJson(
        input,
        Array.from({ length: perRound }, (_, i) => {
          const n = round * perRound + i;
          return { value: { id: n, key: `k${n % keys}` }, partition: n % partitions };
        }),
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    await second!.waitFor(/partitions assigned/);
    expect(await eventually(async () => (await topicEnd(changelog).catch(() => 0)) >= total, 60_000)).toBe(
      true,
    );
    expect(await topicStopsGrowing(changelog)).toBe(true);
    // every-update changelog: one record per counted event, so a record processed twice adds one
    expect(await topicEnd(changelog)).toBe(total);
    for (const worker of [first, second!]) worker.child.kill('SIGTERM');
    expect(await Promise.all([first.exited, second!.exited])).toEqual([0, 0]);
  },
);
