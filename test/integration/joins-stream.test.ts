import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { type JoinInput, joinDefinition } from '../support/join-definition.js';
import { brokers, createTopic, kafka, uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { consumeUntil, eventually, produceRecords } from '../support/produce.js';

const running: WorkerProcess[] = [];
afterEach(() => killAll(running.splice(0)));

const PARTITIONS = 2;
const KEYS = 6;
const keyPartition = (key: string) => Number(key.slice(1)) % PARTITIONS;

/**
 * Both sides' records, out of order within 40 ms, on few keys. Grace covers the whole span, so
 * however the worker interleaves the two topics no record is late and the definition does not
 * depend on it; the late rule is tested on the harness, where arrival order is fixed.
 */
function inputs(n: number): Array<JoinInput & { partition: number }> {
  let seed = 42;
  const next = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const result: Array<JoinInput & { partition: number }> = [];
  let clock = 1_700_000_000_000;
  for (let i = 0; i < n; i++) {
    clock += Math.floor(next() * 25);
    const timeMs = next() < 0.2 ? clock - Math.floor(next() * 40) : clock;
    const side = next() < 0.5 ? 'left' : 'right';
    const key = `k${Math.floor(next() * KEYS)}`;
    result.push({ side, key, timeMs, id: `${side[0]}${i}`, partition: keyPartition(key) });
  }
  return result;
}

/** True once the app's group committed every record of `topics`: everything sent was processed. */
async function allCommitted(groupId: string, topics: string[]): Promise<boolean> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      for (const end of ends) {
        const at = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
        if (Number(at) < Number(end.high)) return false;
      }
    }
    return true;
  } finally {
    await admin.disconnect();
  }
}

/**
 * An outer join worker killed with kill -9 once it buffered part of the input, then restarted:
 * the buffers recover from the join's changelog. At-least-once redoes what the killed worker had
 * not committed, so results may repeat: compared as a set. (Exactly-once is not supported for
 * stream-stream joins yet: see docs/joins.md.)
 */
async function killAndRestart(store: 'memory' | 'rocksdb'): Promise<void> {
  const [leftTopic, rightTopic, outputTopic] = await Promise.all([
    createTopic(uniqueName('join-left'), { partitions: PARTITIONS }),
    createTopic(uniqueName('join-right'), { partitions: PARTITIONS }),
    createTopic(uniqueName('join-out'), { partitions: 1 }),
  ]);
  const id = uniqueName('join-app');
  const window = { beforeMs: 50, afterMs: 50, graceMs: 60_000 };
  const data = inputs(1600);
  const send = (records: typeof data) =>
    Promise.all(
      (['left', 'right'] as const).map((side) =>
        produceRecords(
          side === 'left' ? leftTopic : rightTopic,
          records
            .filter((r) => r.side === side)
            .map((r) => ({
              key: JSON.stringify(r.key),
              value: JSON.stringify({ id: r.id }),
              partition: r.partition,
              timestamp: r.timeMs,
            })),
        ),
      ),
    );
  await send(data);
  const env = {
    TEST_APP_ID: id,
    TEST_LEFT: leftTopic,
    TEST_RIGHT: rightTopic,
    TEST_OUTPUT: outputTopic,
    TEST_WITHIN_MS: String(window.beforeMs),
    TEST_GRACE_MS: String(window.graceMs),
    TEST_STORE: store,
    TEST_STATE_DIR: mkdtempSync(join(tmpdir(), 'strom-join-')),
  };
  const first = spawnApp('test/fixtures/stream-join-app.ts', ['worker'], { ...env, TEST_SLOW_EVERY: '5' });
  running.push(first);
  const changelog = `${id}-lr-join-changelog`;
  // kill it once it buffered part of the input (the changelog has records), long before the end
  const admin = kafka().admin();
  await admin.connect();
  const changelogSize = async () =>
    (await admin.fetchTopicOffsets(changelog).catch(() => [])).reduce((n, o) => n + Number(o.high), 0);
  expect(await eventually(async () => (await changelogSize()) >= 300, 60_000)).toBe(true);
  await admin.disconnect();
  first.child.kill('SIGKILL');
  await first.exited;
  const atKill = await consumeUntil<unknown>(outputTopic, () => true, 3000);

  const second = spawnApp('test/fixtures/stream-join-app.ts', ['worker'], env);
  running.push(second);
  await second.waitFor(/worker running/);
  expect(await eventually(() => allCommitted(id, [leftTopic, rightTopic]), 60_000)).toBe(true);
  // then one record per partition far in the future closes every window: unmatched results come out
  const flushAt =
    Math.max(...data.map((d) => d.timeMs)) + window.beforeMs + window.afterMs + window.graceMs + 1;
  const flushes = Array.from({ length: PARTITIONS }, (_, p) => ({
    side: 'left' as const,
    key: `k${p}`,
    timeMs: flushAt,
    id: `flush${p}`,
    partition: p,
  }));
  await send(flushes);
  // the definition is per partition: stream time is a partition's; keys carry their partition above
  const perPartition = joinDefinitionPerPartition([...data, ...flushes], window);
  const label = (r: { left: string | null; right: string | null }) => `${r.left ?? '-'}+${r.right ?? '-'}`;
  const results = await consumeUntil<{ left: string | null; right: string | null }>(
    outputTopic,
    (values) => new Set(values.map(label)).size >= perPartition.length,
    60_000,
  );
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);

  const got = [...new Set(results.map(label))].sort();
  expect(got).toEqual(perPartition);
  expect(perPartition.some((r) => r.endsWith('+-')) && perPartition.some((r) => r.startsWith('-+'))).toBe(
    true,
  );
  expect(atKill.length).toBeLessThan(perPartition.length); // the kill came mid-stream
  console.info(
    `stream-stream join (${store} store), kill -9 after ${atKill.length} results: ${results.length} results for ${perPartition.length} distinct (${results.length - perPartition.length} duplicates, at-least-once); brokers ${brokers().join(',')}`,
  );
}

it(
  'outer stream-stream join, memory store: kill -9 mid-stream and a restart give the definition (as a set)',
  {
    timeout: 150_000,
  },
  () => killAndRestart('memory'),
);

it(
  'outer stream-stream join, RocksDB store: kill -9 mid-stream and a restart give the definition (as a set)',
  {
    timeout: 150_000,
  },
  () => killAndRestart('rocksdb'),
);

it('a worker refuses join inputs that are not co-partitioned, in one line naming them', {
  timeout: 60_000,
}, async () => {
  const [leftTopic, rightTopic, outputTopic] = await Promise.all([
    createTopic(uniqueName('join-left'), { partitions: 2 }),
    createTopic(uniqueName('join-right'), { partitions: 3 }),
    createTopic(uniqueName('join-out'), { partitions: 1 }),
  ]);
  const worker = spawnApp('test/fixtures/stream-join-app.ts', ['worker'], {
    TEST_APP_ID: uniqueName('join-app'),
    TEST_LEFT: leftTopic,
    TEST_RIGHT: rightTopic,
    TEST_OUTPUT: outputTopic,
    TEST_WITHIN_MS: '10',
    TEST_GRACE_MS: '0',
  });
  running.push(worker);
  const line = await worker.waitFor(/not co-partitioned/);
  expect(line).toContain(`${leftTopic}: 2 partitions, ${rightTopic}: 3 partitions`);
  expect(await worker.exited).not.toBe(0);
  expect(worker.lines.filter((l) => /^\s+at /.test(l))).toEqual([]); // no stack trace
});

/** The definition applied to each partition on its own (stream time is per partition). */
function joinDefinitionPerPartition(
  all: Array<JoinInput & { partition: number }>,
  window: { beforeMs: number; afterMs: number; graceMs: number },
): string[] {
  const results: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    results.push(
      ...joinDefinition(
        all.filter((r) => r.partition === p),
        window,
        'outer',
      ).results,
    );
  }
  return results.sort();
}
