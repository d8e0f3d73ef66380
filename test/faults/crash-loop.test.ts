/**
 * kill -9 ten times during a stateful count (groupBy + table `counts`, 8 partitions), with the
 * memory store and with RocksDB: a worker is killed at a random moment while it counts and
 * restarted at once (same state directory, as a restarted machine), ten times; the last one
 * counts to the end and stops on SIGTERM. Nothing may be lost; the over-count is measured per
 * kill, and so is the time from the restart to counting again.
 *
 * Knobs: FAULT_CRASH_EVENTS (default 200 000), FAULT_SEED (replay the kill moments).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTopic, uniqueName } from '../support/kafka.js';
import { checkCounts } from './support/count-check.js';
import { CountInput } from './support/count-input.js';
import { CountPipeline } from './support/count-pipeline.js';
import { reportFigures } from './support/figures.js';
import { seededRandom } from './support/seeded-random.js';
import { median, percent } from './support/stats.js';
import { WorkerFleet } from './support/worker-fleet.js';

const EVENTS = Number(process.env.FAULT_CRASH_EVENTS ?? 200_000);
const KILLS = 10;
const PARTITIONS = 8;
const KEYS = 1000;
/** The fixture sleeps 20 ms every this many events: slow enough to be killed ten times mid-count. */
const SLOW_EVERY = 100;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.each(['memory', 'rocksdb'] as const)('crash loop, %s store', (store) => {
  it(`${KILLS} kills during a ${EVENTS}-event count (${store} store): nothing lost`, {
    timeout: 300_000,
  }, async () => {
    const random = seededRandom();
    const input = await createTopic(uniqueName('crash-loop-in'), { partitions: PARTITIONS });
    const output = await createTopic(uniqueName('crash-loop-out'), { partitions: PARTITIONS });
    const appId = uniqueName(`crash-loop-${store}`);
    const stateDir = mkdtempSync(join(tmpdir(), 'strom-crash-loop-'));
    const source = new CountInput({ topic: input, partitions: PARTITIONS, keys: KEYS });
    await source.produce(EVENTS);
    await source.close();
    const pipeline = new CountPipeline({ appId, input, output });
    const fleet = new WorkerFleet({
      name: appId,
      app: 'test/fixtures/count-app.ts',
      env: {
        TEST_APP_ID: appId,
        TEST_INPUT: input,
        TEST_OUTPUT: output,
        TEST_STORE: store,
        TEST_STATE_DIR: stateDir,
        TEST_SLOW_EVERY: String(SLOW_EVERY),
      },
    });
    cleanups.push(async () => {
      await fleet.close();
      await pipeline.close();
      rmSync(stateDir, { recursive: true, force: true });
    });

    const started = Date.now();
    let worker = fleet.start();
    expect(await pipeline.waitForChangelogPast(0, 60_000), 'the first worker never counted').toBeDefined();
    const overCountPerKill: number[] = [];
    const recoverMs: number[] = [];
    let pendingBefore = 0;
    for (let kill = 1; kill <= KILLS; kill++) {
      await new Promise((r) => setTimeout(r, random.between(500, 4000)));
      expect(await pipeline.lag(), `drained before kill ${kill}: raise FAULT_CRASH_EVENTS`).toBeGreaterThan(
        0,
      );
      await fleet.kill(worker);
      const countedAtKill = await pipeline.end(pipeline.changelog);
      worker = fleet.start();
      const restarted = Date.now();
      // the new process needs a second or more to boot: the offsets are those the killed one left
      const pending = await pipeline.pendingOverCount();
      overCountPerKill.push(pending - pendingBefore);
      pendingBefore = pending;
      const counting = await pipeline.waitForChangelogPast(countedAtKill, 90_000);
      expect(counting, `no counting within 90 s of restart ${kill}:\n${fleet.report()}`).toBeDefined();
      recoverMs.push(Date.now() - restarted);
    }
    const drainMs = await pipeline.waitUntilDrained(180_000);
    expect(drainMs, `the last worker did not finish the input:\n${fleet.report()}`).toBeDefined();
    const stopMs = await fleet.terminate(worker);
    expect(await worker.process.exited).toBe(0);
    const wallMs = Date.now() - started;

    const counts = await pipeline.readCounts();
    const changelogRecords = await pipeline.end(pipeline.changelog);
    const ids = await pipeline.readOutputIds();
    const check = checkCounts(counts, source.truth, { ids, acked: source.ackedIds });
    const counted = [...counts.values()].reduce((s, v) => s + v, 0);
    reportFigures({
      scenario: `kill -9 x${KILLS}, ${store} store`,
      events: EVENTS,
      faults: KILLS,
      lost: check.lost + check.missingIds,
      duplicated: check.duplicated,
      recoverMs: Math.max(...recoverMs),
      notes: [
        `over-count ${percent(check.duplicated, EVENTS)}`,
        `per kill ${overCountPerKill.join('/')} (predicted total ${pendingBefore})`,
        `restart to counting median ${median(recoverMs)} ms, max ${Math.max(...recoverMs)} ms`,
        `table minus changelog records ${counted - changelogRecords}`,
        `duplicated outputs ${check.duplicatedOutputs}`,
        `drain ${drainMs} ms, SIGTERM to exit ${stopMs} ms, wall ${wallMs} ms, seed ${random.seed}`,
      ].join('; '),
    });

    expect(fleet.report()).toBe('');
    expect(check.short, 'keys counted below their truth').toEqual([]);
    expect(check.lost).toBe(0);
    expect(check.firstMissingIds, 'events that were never counted').toEqual([]);
    expect(check.unknownKeys).toEqual([]);
    // every changelog record is one increment: a table below them lost increments it had made
    expect(counted).toBeGreaterThanOrEqual(changelogRecords);
  });
});
