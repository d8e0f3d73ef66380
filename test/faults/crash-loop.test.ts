/**
 * kill -9 ten times during a stateful count (groupBy + table `counts`, 8 partitions), with the
 * memory store and with RocksDB: a worker is killed at a random moment while it counts and
 * restarted at once (same state directory, as a restarted machine), ten times; the last one
 * counts to the end and stops on SIGTERM. Nothing may be lost; the over-count is measured per
 * kill, and so is the time from the restart to counting again.
 *
 * Knobs: FAULT_CRASH_EVENTS (default 200 000), FAULT_SEED (replay the kill moments).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CountScenario,
  countScenario,
  countVerdict,
  expectNothingLost,
} from './support/count-scenario.js';
import { reportFigures } from './support/figures.js';
import { seededRandom } from './support/seeded-random.js';
import { median, percent } from './support/stats.js';

const EVENTS = Number(process.env.FAULT_CRASH_EVENTS ?? 200_000);
const KILLS = 10;
const PARTITIONS = 8;
const KEYS = 1000;
/** The fixture sleeps 20 ms every this many events: slow enough to be killed ten times mid-count. */
const SLOW_EVERY = 100;

const scenarios: CountScenario[] = [];
afterEach(async () => {
  for (const scenario of scenarios.splice(0)) await scenario.close();
});

// each guarantee's default changelog on the memory store (decision 0011), and at-least-once with
// a record per update on RocksDB
describe.each([
  ['memory', 'at-least-once', 'per-commit'],
  ['rocksdb', 'at-least-once', 'every-update'],
  ['memory', 'exactly-once', 'every-update'],
] as const)('crash loop, %s store, %s, %s changelog', (store, guarantee, changelog) => {
  const exactlyOnce = guarantee === 'exactly-once';
  const perUpdate = changelog === 'every-update';
  it(`${KILLS} kills during a ${EVENTS}-event count (${store} store, ${guarantee}, ${changelog} changelog): nothing lost`, {
    timeout: 300_000,
  }, async () => {
    const random = seededRandom();
    const scenario = await countScenario({
      name: `crash-loop-${store}`,
      partitions: PARTITIONS,
      keys: KEYS,
      env: { TEST_STORE: store, TEST_SLOW_EVERY: String(SLOW_EVERY), TEST_TABLE_CHANGELOG: changelog },
      exactlyOnce,
    });
    scenarios.push(scenario);
    const { source, pipeline, fleet } = scenario;
    await source.produce(EVENTS);

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
    const drainMs = await pipeline.waitUntilDrained(180_000, EVENTS);
    expect(drainMs, `the last worker did not finish the input:\n${fleet.report()}`).toBeDefined();
    const stopMs = await fleet.terminate(worker);
    expect(await worker.process.exited).toBe(0);
    const wallMs = Date.now() - started;

    const check = await countVerdict(scenario);
    const changelogRecords = await pipeline.end(pipeline.changelog);
    reportFigures({
      scenario: `kill -9 x${KILLS}, ${store} store, ${guarantee}, ${changelog} changelog`,
      events: EVENTS,
      faults: KILLS,
      lost: check.lost + check.missingIds,
      duplicated: check.duplicated,
      recoverMs: Math.max(...recoverMs),
      notes: [
        `over-count ${percent(check.duplicated, EVENTS)}`,
        // with a record per update, the changelog past the committed offsets predicts the
        // over-count; per-commit changelogs and exactly-once follow the commits instead
        perUpdate && !exactlyOnce
          ? `per kill ${overCountPerKill.join('/')} (predicted total ${pendingBefore})`
          : exactlyOnce
            ? 'exactly-once'
            : 'changelog per commit',
        `restart to counting median ${median(recoverMs)} ms, max ${Math.max(...recoverMs)} ms`,
        ...(perUpdate ? [`table minus changelog records ${check.counted - changelogRecords}`] : []),
        `duplicated outputs ${check.duplicatedOutputs}`,
        `drain ${drainMs} ms, SIGTERM to exit ${stopMs} ms, wall ${wallMs} ms, seed ${random.seed}`,
      ].join('; '),
    });

    expectNothingLost(check, fleet);
    if (exactlyOnce) {
      // the table (read committed) and every output record equal the truth exactly
      expect(check.duplicated).toBe(0);
      expect(check.duplicatedOutputs).toBe(0);
    } else if (perUpdate) {
      // every changelog record is one increment: a table below them lost increments it had made
      expect(check.counted).toBeGreaterThanOrEqual(changelogRecords);
    }
  });
});
