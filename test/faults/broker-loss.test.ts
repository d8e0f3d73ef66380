/**
 * Broker loss: a counting worker on a 3-broker cluster (its own state dir and ports; topics with
 * replication factor 3, min.insync.replicas 2, acks all) while input flows at a steady rate; the
 * leader of the busiest changelog partition gets kill -9. The worker must not exit, must count
 * again once new leaders are elected, and nothing may be lost.
 *
 * Knobs: FAULT_BROKER_LOSS_RATE (events/s, default 1000), KAFKA_SKIP_CLUSTER_TESTS=1 to skip.
 */
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killKafkaNode, startKafka, stopKafka } from '../../scripts/kafka/launcher.js';
import { defaultPort, defaultStateDir } from '../../scripts/kafka/paths.js';
import { kafka } from '../support/kafka.js';
import {
  type CountScenario,
  countScenario,
  countVerdict,
  expectNothingLost,
} from './support/count-scenario.js';
import { reportFigures } from './support/figures.js';
import { percent } from './support/stats.js';

const stateDir = join(defaultStateDir(), 'broker-loss-test');
// node i listens on base + i * 10000: clear of the failover test (+100) and of `pnpm kafka start --brokers 3`
const PORT_BASE = defaultPort() + 200;
const BROKERS = 3;
const PARTITIONS = 8;
const KEYS = 1000;
const RATE = Number(process.env.FAULT_BROKER_LOSS_RATE ?? 1000);

const scenarios: CountScenario[] = [];
afterEach(async () => {
  for (const scenario of scenarios.splice(0)) await scenario.close();
});

describe.skipIf(process.env.KAFKA_SKIP_CLUSTER_TESTS === '1')('broker loss on a 3-broker cluster', () => {
  let client: Kafka;
  let bootstrap: string[];

  beforeAll(async () => {
    await stopKafka({ stateDir, log: () => undefined }); // leftovers of an interrupted run
    ({ bootstrap } = await startKafka({ brokers: BROKERS, port: PORT_BASE, stateDir }));
    client = kafka({ brokers: bootstrap });
  });

  afterAll(async () => {
    await stopKafka({ stateDir, timeoutMs: 3_000, log: () => undefined });
  });

  it('kill -9 of the leader of the busiest changelog partition mid-stream: nothing lost, the worker carries on', {
    timeout: 300_000,
  }, async () => {
    const scenario = await countScenario({
      name: 'broker-loss',
      partitions: PARTITIONS,
      keys: KEYS,
      topics: { replicationFactor: 3, configEntries: { 'min.insync.replicas': '2' } },
      cluster: { client, bootstrap },
      env: { TEST_REPLICATION_FACTOR: '3' },
    });
    scenarios.push(scenario);
    const { source, pipeline, fleet } = scenario;
    const producing = source.steady(RATE);

    const started = Date.now();
    const worker = fleet.start();
    expect(await pipeline.waitForChangelogPast(0, 90_000), 'the worker never counted').toBeDefined();
    await new Promise((r) => setTimeout(r, 5_000));

    const ends = await pipeline.ends(pipeline.changelog);
    const busiest = [...ends].sort((a, b) => b[1] - a[1])[0]![0];
    const leadersBefore = await leaders(client, pipeline.changelog);
    const victim = leadersBefore.get(busiest)!;
    const orphaned = [...leadersBefore].filter(([, leader]) => leader === victim).map(([p]) => p);
    await killKafkaNode({ stateDir, brokers: BROKERS, nodeId: victim });
    const killedAt = Date.now();

    // recovered = every changelog partition the dead broker led has a new leader and grows again
    const electedMs = await pipeline.waitFor(async () => {
      const now = await leaders(client, pipeline.changelog).catch(() => new Map<number, number>());
      return orphaned.every((p) => (now.get(p) ?? -1) >= 0 && now.get(p) !== victim);
    }, 60_000);
    expect(electedMs, `no new leaders for changelog partitions ${orphaned}`).toBeDefined();
    const atElection = await pipeline.ends(pipeline.changelog);
    const growing = await pipeline.waitFor(async () => {
      const now = await pipeline.ends(pipeline.changelog);
      return orphaned.every((p) => (now.get(p) ?? 0) > (atElection.get(p) ?? 0));
    }, 90_000);
    expect(growing, `the worker did not count again after the broker loss:\n${fleet.report()}`).toBeDefined();
    const recoverMs = Date.now() - killedAt;

    await new Promise((r) => setTimeout(r, 5_000));
    await producing.stop();
    const drainMs = await pipeline.waitUntilDrained(120_000, source.acked);
    expect(drainMs, `the worker did not finish the input:\n${fleet.report()}`).toBeDefined();
    const stopMs = await fleet.terminate(worker);
    expect(await worker.process.exited).toBe(0);
    const wallMs = Date.now() - started;

    const check = await countVerdict(scenario);
    reportFigures({
      scenario: 'leader broker kill -9, 3-broker cluster',
      events: source.acked,
      faults: 1,
      lost: check.lost + check.missingIds,
      duplicated: check.duplicated,
      recoverMs,
      notes: [
        `broker ${victim} led changelog partitions ${orphaned.join(',')}; new leaders after ${electedMs} ms`,
        `over-count ${percent(check.duplicated, source.acked)}, duplicated outputs ${check.duplicatedOutputs}`,
        `drain ${drainMs} ms, SIGTERM to exit ${stopMs} ms, wall ${wallMs} ms`,
      ].join('; '),
    });

    expectNothingLost(check, fleet);
  });
});

/** Leader broker id of each partition of `topic` (-1 while it has none). */
async function leaders(client: Kafka, topic: string): Promise<Map<number, number>> {
  const admin = client.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return new Map((topics[0]?.partitions ?? []).map((p) => [p.partitionId, p.leader]));
  } finally {
    await admin.disconnect();
  }
}
