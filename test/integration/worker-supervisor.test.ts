import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App } from '@strom/core';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers, createTopic, testLogLevel, topicEnd, uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { eventually, produceJson, topicStopsGrowing } from '../support/produce.js';

const running: WorkerProcess[] = [];
afterEach(() => killAll(running.splice(0)));

const KEYS = 20;

/** An input of `total` events over `KEYS` keys and 4 partitions, and the env of a count-app. */
async function setup(total: number, extra: Record<string, string> = {}) {
  const input = await createTopic(uniqueName('sup-in'), { partitions: 4 });
  const id = uniqueName('sup-app');
  await produceJson(
    input,
    Array.from({ length: total }, (_, i) => ({ value: { id: i, key: `k${i % KEYS}` }, partition: i % 4 })),
  );
  return { id, env: { TEST_APP_ID: id, TEST_INPUT: input, ...extra } };
}

/** The worker processes a supervisor runs: the pids of its children, from `ps`. */
function childrenOf(pid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' });
  // tsx runs an esbuild service as a child too
  return out
    .split('\n')
    .filter((line) => line.includes('--process-index'))
    .map((line) => Number.parseInt(line.trim(), 10));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `changelog` stops growing, after it reached `atLeast` records. */
async function settled(changelog: string, atLeast: number): Promise<void> {
  expect(await eventually(async () => (await topicEnd(changelog).catch(() => 0)) >= atLeast, 60_000)).toBe(
    true,
  );
  expect(await topicStopsGrowing(changelog)).toBe(true);
}

async function readCounts(id: string): Promise<Map<unknown, unknown>> {
  const app = new App({ id, broker: brokers(), logLevel: testLogLevel() });
  app.table<string, number>('counts');
  return app.readTable('counts');
}

describe('strom worker --processes', () => {
  it('two processes count every event exactly; SIGTERM stops both cleanly, exit 0, no orphans', {
    timeout: 90_000,
  }, async () => {
    const total = 4000;
    const stateDir = `.strom-data/${uniqueName('sup')}`;
    const { id, env } = await setup(total, { TEST_STORE: 'rocksdb', TEST_STATE_DIR: stateDir });
    const parent = spawnApp('test/fixtures/count-app.ts', ['worker', '--processes', '2'], env);
    running.push(parent);
    await parent.waitFor(/processes: 2/);
    // log lines tagged with the child's index, one banner for the app
    await parent.waitFor(/"process":0,.*"msg":"worker running"/);
    await parent.waitFor(/"process":1,.*"msg":"worker running"/);
    expect(parent.lines.filter((l) => l.startsWith('strom worker'))).toHaveLength(1);
    const children = childrenOf(parent.child.pid!);
    expect(children).toHaveLength(2);

    await settled(`${id}-counts-changelog`, total);
    const counts = await readCounts(id);
    expect(counts.size).toBe(KEYS);
    // no crash: every key counted exactly once per event, whichever process owned its partition
    expect([...counts.values()]).toEqual(Array.from({ length: KEYS }, () => total / KEYS));

    parent.child.kill('SIGTERM');
    expect(await parent.exited).toBe(0);
    for (const pid of children) expect(alive(pid)).toBe(false);
    expect(parent.lines.filter((l) => l.includes('worker stopped')).length).toBeGreaterThanOrEqual(2);
    // each child kept its RocksDB partitions in a directory of its own
    expect(readdirSync(join(stateDir, id, 'processes')).sort()).toEqual(['0', '1']);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('kill -9 of one child: the supervisor restarts it and no count is below the truth', {
    timeout: 120_000,
  }, async () => {
    const total = 6000;
    const { id, env } = await setup(total, { TEST_SLOW_EVERY: '10' });
    const parent = spawnApp('test/fixtures/count-app.ts', ['worker', '--processes', '2'], env);
    running.push(parent);
    await parent.waitFor(/processes: 2/);
    const changelog = `${id}-counts-changelog`;
    expect(await eventually(async () => (await topicEnd(changelog).catch(() => 0)) >= 1000, 60_000)).toBe(
      true,
    );
    const [victim] = childrenOf(parent.child.pid!);
    process.kill(victim!, 'SIGKILL');
    await parent.waitFor(/worker process crashed: restarting it/);
    // the restarted child joins again: two children, one of them new
    expect(
      await eventually(async () => {
        const now = childrenOf(parent.child.pid!);
        return now.length === 2 && !now.includes(victim!);
      }, 30_000),
    ).toBe(true);

    await settled(changelog, total);
    const counts = await readCounts(id);
    expect(counts.size).toBe(KEYS);
    const below = [...counts].filter(([, v]) => (v as number) < total / KEYS);
    expect(below).toEqual([]);
    const overCount = [...counts.values()].reduce((s: number, v) => s + (v as number), 0) - total;
    console.info(`--processes 2, kill -9 of a child: over-count ${overCount} of ${total} events`);

    parent.child.kill('SIGTERM');
    expect(await parent.exited).toBe(0);
  });

  it('a child that fails before its worker runs stops the others; the parent exits with its code', {
    timeout: 60_000,
  }, async () => {
    const { env } = await setup(10);
    const parent = spawnApp('test/fixtures/failing-child-app.ts', ['worker', '--processes', '2'], env);
    running.push(parent);
    expect(await parent.exited).toBe(3);
    expect(parent.lines.some((l) => l.includes('worker process failed before it ran'))).toBe(true);
    // not restarted: a child that never ran would fail the same way again
    expect(parent.lines.filter((l) => l.includes('process 1 fails on purpose'))).toHaveLength(1);
    expect(parent.lines.some((l) => l.includes('worker process crashed'))).toBe(false);
  });
});
