import { afterEach, describe, expect, it } from 'vitest';
import { collect, createTopic, kafka, uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { consumeUntil, produceJson } from '../support/produce.js';

const APP = 'test/fixtures/echo-app.ts';
const running: WorkerProcess[] = [];
afterEach(() => killAll(running.splice(0)));

interface Output {
  id: number;
  key: string;
  worker: string;
}

async function setup(partitions: number) {
  const input = await createTopic(uniqueName('input'), { partitions });
  const output = await createTopic(uniqueName('output'), { partitions });
  const appId = uniqueName('proc-app');
  return { input, output, appId };
}

function startWorker(
  env: { appId: string; input: string; output: string },
  worker: string,
  extra: Record<string, string> = {},
) {
  const w = spawnApp(APP, ['worker'], {
    TEST_APP_ID: env.appId,
    TEST_INPUT: env.input,
    TEST_OUTPUT: env.output,
    WORKER_ID: worker,
    ...extra,
  });
  running.push(w);
  return w;
}

async function readOutput(topic: string, atLeast: number, timeoutMs = 60_000): Promise<Output[]> {
  const messages = await collect(topic, atLeast, { timeoutMs });
  return messages.map((m) => JSON.parse(m.value!) as Output);
}

/** Waits until the group has `members` members and is Stable. */
async function groupStable(groupId: string, members: number, timeoutMs = 60_000): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups[0];
      if (group?.state === 'Stable' && group.members.length === members) return;
      if (Date.now() > deadline)
        throw new Error(`group ${groupId} not stable with ${members} members: ${group?.state}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
}

describe('workers as real processes', () => {
  it('groupBy sends every event of a key to one worker, across two worker processes', async () => {
    const env = await setup(4);
    const a = startWorker(env, 'a', { TEST_GROUP_BY: '1' });
    const b = startWorker(env, 'b', { TEST_GROUP_BY: '1' });
    await Promise.all([a.waitFor(/worker running/), b.waitFor(/worker running/)]);
    await groupStable(env.appId, 2);
    const total = 10_000;
    const keys = 40;
    await produceJson(
      env.input,
      Array.from({ length: total }, (_, id) => ({ value: { id, key: `k${id % keys}` }, partition: id % 4 })),
    );
    const out = await readOutput(env.output, total);
    expect(out.length).toBe(total);
    expect(new Set(out.map((o) => o.id)).size).toBe(total);
    const workersByKey = new Map<string, Set<string>>();
    for (const o of out) {
      const set = workersByKey.get(o.key) ?? new Set();
      set.add(o.worker);
      workersByKey.set(o.key, set);
    }
    expect(workersByKey.size).toBe(keys);
    for (const [key, workers] of workersByKey)
      expect({ key, workers: [...workers] }).toEqual({ key, workers: [expect.any(String)] });
    // both workers did some of the work: the repartition topic spread the keys
    expect(new Set(out.map((o) => o.worker))).toEqual(new Set(['a', 'b']));
  });

  it('kill -9 mid-stream and a restart lose no input', { timeout: 120_000 }, async () => {
    const env = await setup(2);
    const total = 6000;
    await produceJson(
      env.input,
      Array.from({ length: total }, (_, id) => ({ value: { id, key: `k${id}` }, partition: id % 2 })),
    );
    const first = startWorker(env, 'first', { TEST_SLOW_EVERY: '25' });
    await first.waitFor(/worker running/);
    // wait until some (not all) output exists, then kill without warning
    const before = await readOutput(env.output, 500, 30_000);
    expect(before.length).toBeGreaterThanOrEqual(500);
    first.child.kill('SIGKILL');
    await first.exited;
    const beforeKill = await readOutput(env.output, total, 3000);
    expect(beforeKill.length).toBeLessThan(total);
    const second = startWorker(env, 'second');
    await second.waitFor(/worker running/);
    const out = await consumeUntil<Output>(
      env.output,
      (values) => new Set(values.map((o) => o.id)).size >= total,
    );
    const ids = new Set(out.map((o) => o.id));
    const missing = Array.from({ length: total }, (_, id) => id).filter((id) => !ids.has(id));
    expect(missing).toEqual([]);
    // at-least-once: what the first worker did after its last commit is done again, no more
    const duplicates = out.length - total;
    expect(duplicates).toBeLessThan(total);
    console.info(
      `kill -9: ${beforeKill.length} outputs before the kill, ${duplicates} duplicates after restart`,
    );
  });

  it('SIGTERM finishes, commits and exits 0 within 5 s; a restart reprocesses nothing', async () => {
    const env = await setup(2);
    const total = 1000;
    await produceJson(
      env.input,
      Array.from({ length: total }, (_, id) => ({ value: { id, key: `k${id}` }, partition: id % 2 })),
    );
    const first = startWorker(env, 'first');
    await first.waitFor(/worker running/);
    expect((await readOutput(env.output, total)).length).toBe(total);
    const signalledAt = Date.now();
    first.child.kill('SIGTERM');
    const code = await first.exited;
    const exitMs = Date.now() - signalledAt;
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(5000);

    const admin = kafka().admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId: env.appId, topics: [env.input] });
    const ends = await admin.fetchTopicOffsets(env.input);
    await admin.disconnect();
    const committedByPartition = Object.fromEntries(
      committed[0]!.partitions.map((p) => [p.partition, p.offset]),
    );
    expect(committedByPartition).toEqual(Object.fromEntries(ends.map((e) => [e.partition, e.high])));

    const second = startWorker(env, 'second');
    await second.waitFor(/worker running/);
    await second.waitFor(/partitions assigned/);
    await new Promise((r) => setTimeout(r, 2000));
    const out = await readOutput(env.output, total + 1, 3000);
    expect(out.length).toBe(total);
    expect(out.filter((o) => o.worker === 'second')).toEqual([]);
  });
});
