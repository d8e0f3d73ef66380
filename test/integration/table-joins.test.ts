import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '@strom/core';
import { afterEach, expect, it } from 'vitest';
import { brokers, createTopic, testLogLevel, topicEnd, uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { eventually, produceJson } from '../support/produce.js';

const running: WorkerProcess[] = [];
afterEach(() => killAll(running.splice(0)));

type Row = { fk: number | null; n: number };
type Write = { side: 'left' | 'right'; key: number; value: Row | string | null };

/** Seeded writes on both sides: upserts, deletes, rows moving between foreign keys. */
function writesFor(count: number, seed: number): Write[] {
  let a = seed;
  const random = () => {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    return a / 4294967296;
  };
  return Array.from({ length: count }, () => {
    const side = random() < 0.6 ? 'left' : 'right';
    const key = Math.floor(random() * (side === 'left' ? 40 : 12));
    if (random() < 0.2) return { side, key, value: null };
    const value =
      side === 'left'
        ? { fk: random() < 0.1 ? null : Math.floor(random() * 12), n: Math.floor(random() * 1000) }
        : `zone-${Math.floor(random() * 1000)}`;
    return { side, key, value };
  });
}

/** Both joins by their definitions over the final states, keyed as `readTable` keys them. */
function bruteForce(writes: readonly Write[]) {
  const left = new Map<number, Row>();
  const right = new Map<number, string>();
  for (const w of writes) {
    const side = (w.side === 'left' ? left : right) as Map<number, unknown>;
    if (w.value === null) side.delete(w.key);
    else side.set(w.key, w.value);
  }
  const tt = new Map<string, unknown>();
  for (const key of new Set([...left.keys(), ...right.keys()]))
    tt.set(String(key), { n: left.get(key)?.n ?? null, zone: right.get(key) ?? null });
  const fk = new Map<string, unknown>();
  for (const [key, row] of left)
    fk.set(String(key), { n: row.n, zone: row.fk === null ? null : (right.get(row.fk) ?? null) });
  return { tt, fk };
}

const sortedEntries = (map: Map<string, unknown>) => [...map].sort(([a], [b]) => Number(a) - Number(b));

for (const store of ['memory', 'rocksdb'] as const) {
  it(`table joins (${store} store) recover after kill -9 mid-stream and end equal to the joins of the final states`, {
    timeout: 150_000,
  }, async () => {
    const input = await createTopic(uniqueName('join-in'), { partitions: 2 });
    const id = uniqueName('join-app');
    const writes = writesFor(3000, 7);
    // a key's writes stay in order on one input partition (as keyed records would)
    await produceJson(
      input,
      writes.map((value) => ({ value, partition: value.key % 2 })),
    );
    const stateDir = await mkdtemp(join(tmpdir(), 'strom-joins-'));
    const env = { TEST_APP_ID: id, TEST_INPUT: input, TEST_STORE: store, TEST_STATE_DIR: stateDir };
    const first = spawnApp('test/fixtures/join-app.ts', ['worker'], {
      ...env,
      TEST_SLOW_EVERY: '5',
      TEST_MAX_BYTES: '4096',
    });
    running.push(first);
    const left = `${id}-left-changelog`;
    // killed once the foreign-key join has handled some subscriptions (and the writes go on)
    const subscribers = `${id}-fk-subscribers-changelog`;
    expect(await eventually(async () => (await topicEnd(subscribers).catch(() => 0)) >= 20, 60_000)).toBe(
      true,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    // killed mid-stream: not every write reached the left table yet, and the joins had begun
    expect(await topicEnd(left)).toBeLessThan(writes.filter((w) => w.side === 'left').length);
    expect(await topicEnd(`${id}-fk-changelog`)).toBeGreaterThan(0);
    console.info(
      `table joins, ${store}: killed at ${await topicEnd(left)} left-table writes of ${writes.filter((w) => w.side === 'left').length}`,
    );

    const second = spawnApp('test/fixtures/join-app.ts', ['worker'], env);
    running.push(second);
    await second.waitFor(/worker running/);
    const app = new App({ id, broker: brokers(), logLevel: testLogLevel() });
    for (const name of ['left', 'right', 'tt', 'fk']) app.table(name);
    const expected = bruteForce(writes);
    let actual = { tt: new Map<string, unknown>(), fk: new Map<string, unknown>() };
    const converged = await eventually(async () => {
      actual = { tt: await app.readTable('tt'), fk: await app.readTable('fk') };
      return (
        JSON.stringify(sortedEntries(actual.tt)) === JSON.stringify(sortedEntries(expected.tt)) &&
        JSON.stringify(sortedEntries(actual.fk)) === JSON.stringify(sortedEntries(expected.fk))
      );
    }, 90_000);
    // on a mismatch, show the difference
    expect(sortedEntries(actual.tt)).toEqual(sortedEntries(expected.tt));
    expect(sortedEntries(actual.fk)).toEqual(sortedEntries(expected.fk));
    expect(converged).toBe(true);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    await app.stop();
    await rm(stateDir, { recursive: true, force: true });
  });
}

it('a worker refuses to start a table join whose sides are not co-partitioned, naming the changelogs', {
  timeout: 60_000,
}, async () => {
  const input = await createTopic(uniqueName('join-copart'), { partitions: 2 });
  const id = uniqueName('join-copart-app');
  const app = new App({ id, broker: brokers(), logLevel: testLogLevel() });
  const left = app.table<number, number>('left', { partitions: 2 });
  const right = app.table<number, number>('right', { partitions: 3 });
  app.tableJoin(left, right, (l, r) => l + r, { name: 'sum' });
  app.agent(app.topic(input), async (stream) => {
    for await (const _ of stream);
  });
  const worker = app.createWorker();
  await expect(worker.start()).rejects.toThrow(
    new RegExp(
      `${id}-sum-changelog must be co-partitioned.*${id}-left-changelog: 2, ${id}-right-changelog: 3`,
    ),
  );
  await worker.stop();
  await app.stop();
});
