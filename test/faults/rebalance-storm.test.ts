/**
 * A rebalance storm: 3 workers count an input produced at a steady rate on 8 partitions; every
 * 3-10 s a random worker gets SIGTERM or SIGKILL and is restarted in its slot (own state
 * directory). Afterwards all but one stop on SIGTERM, the last drains the input and stops too.
 * Every SIGTERM must end in exit 0 within 30 s, no stopping worker may rejoin or recover, no
 * worker may exit unasked, nothing may be lost, and the group must finish the input.
 *
 * Knobs: FAULT_STORM_MS (default 120 000), FAULT_STORM_RATE (events/s, default 1000),
 * FAULT_STORM_STORE (rocksdb or memory, default rocksdb), FAULT_SEED.
 */
import { afterEach, expect, it } from 'vitest';
import {
  type CountScenario,
  countScenario,
  countVerdict,
  expectNothingLost,
} from './support/count-scenario.js';
import { reportFigures } from './support/figures.js';
import { seededRandom } from './support/seeded-random.js';
import { median, percent } from './support/stats.js';

const STORM_MS = Number(process.env.FAULT_STORM_MS ?? 120_000);
const RATE = Number(process.env.FAULT_STORM_RATE ?? 1000);
const STORE = process.env.FAULT_STORM_STORE === 'memory' ? 'memory' : 'rocksdb';
const WORKERS = 3;
const PARTITIONS = 8;
const KEYS = 1000;
const STOP_BOUND_MS = 30_000;

const scenarios: CountScenario[] = [];
afterEach(async () => {
  for (const scenario of scenarios.splice(0)) await scenario.close();
});

it.each([
  ['at-least-once', false],
  ['exactly-once', true],
])(
  `${WORKERS} workers, a random SIGTERM or SIGKILL every 3-10 s for ${STORM_MS / 1000} s (%s): no loss, clean stops, no stall`,
  {
    timeout: STORM_MS + 300_000,
  },
  async (guarantee, exactlyOnce) => {
    const random = seededRandom();
    const scenario = await countScenario({
      name: 'storm',
      partitions: PARTITIONS,
      keys: KEYS,
      env: { TEST_STORE: STORE },
      stopBoundMs: STOP_BOUND_MS,
      exactlyOnce,
    });
    scenarios.push(scenario);
    const { source, pipeline, fleet } = scenario;
    const producing = source.steady(RATE);

    const started = Date.now();
    for (let slot = 0; slot < WORKERS; slot++) fleet.start(slot);
    await Promise.all(fleet.workers.map((w) => w.process.waitFor(/worker running/, 60_000)));
    expect(await pipeline.waitForChangelogPast(0, 60_000), 'the group never counted').toBeDefined();

    const stalls = pipeline.watchStalls();
    const faults = { SIGTERM: 0, SIGKILL: 0 };
    const stormEnd = Date.now() + STORM_MS;
    while (Date.now() < stormEnd) {
      await new Promise((r) => setTimeout(r, random.between(3000, 10_000)));
      const slot = random.between(0, WORKERS - 1);
      const victim = fleet.running(slot);
      expect(victim, `slot ${slot} has no live worker:\n${fleet.report()}`).toBeDefined();
      const signal = random.pick(['SIGTERM', 'SIGKILL'] as const);
      faults[signal] += 1;
      if (signal === 'SIGTERM') await fleet.terminate(victim!);
      else await fleet.kill(victim!);
      fleet.start(slot);
    }
    await producing.stop();
    const longestStallMs = await stalls.stop();

    // all but one leave on SIGTERM; the last one drains the input alone
    for (let slot = 1; slot < WORKERS; slot++) await fleet.terminate(fleet.running(slot)!);
    const last = fleet.running(0)!;
    const drainMs = await pipeline.waitUntilDrained(120_000, source.acked);
    expect(drainMs, `the last worker did not finish the input:\n${fleet.report()}`).toBeDefined();
    await fleet.terminate(last);
    const wallMs = Date.now() - started;

    const check = await countVerdict(scenario);
    const stops = fleet.stopTimesMs;
    const loads = fleet.loadTimesMs();
    reportFigures({
      scenario: `rebalance storm, ${WORKERS} workers, ${STORE} store, ${guarantee}`,
      events: source.acked,
      faults: faults.SIGTERM + faults.SIGKILL,
      lost: check.lost + check.missingIds,
      duplicated: check.duplicated,
      recoverMs: longestStallMs,
      notes: [
        `${faults.SIGTERM} SIGTERM + ${faults.SIGKILL} SIGKILL in ${STORM_MS / 1000} s at ${RATE} events/s`,
        `over-count ${percent(check.duplicated, source.acked)}, duplicated outputs ${check.duplicatedOutputs}`,
        `recover = longest partition stall`,
        `SIGTERM to exit median ${median(stops)} ms, max ${Math.max(...stops)} ms`,
        `workers started ${fleet.workers.length}, spawn to first log line median ${median(loads)} ms, max ${Math.max(...loads)} ms`,
        `SIGTERM while still loading ${fleet.terminatedWhileLoading}`,
        `drain ${drainMs} ms, wall ${wallMs} ms, seed ${random.seed}`,
      ].join('; '),
    });

    expectNothingLost(check, fleet);
    expect(Math.max(...stops)).toBeLessThan(STOP_BOUND_MS);
    if (exactlyOnce) {
      // the table (read committed) and every output record equal the truth exactly
      expect(check.duplicated).toBe(0);
      expect(check.duplicatedOutputs).toBe(0);
    }
  },
);
