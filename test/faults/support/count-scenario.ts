/**
 * The setting of every counting scenario: an input and an output topic, the app id, the input
 * producer and its truth, the pipeline's offsets, and a fleet of test/fixtures/count-app.ts
 * workers (slot n keeps its state in `<state root>/slot-n`). `close()` undoes it all; the
 * verdict reads the table and the output and checks them against the truth.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { expect } from 'vitest';
import { type CreateTopicOptions, createTopic, uniqueName } from '../../support/kafka.js';
import { type CountCheck, checkCounts } from './count-check.js';
import { CountInput } from './count-input.js';
import { CountPipeline } from './count-pipeline.js';
import { WorkerFleet } from './worker-fleet.js';

export interface CountScenarioOptions {
  /** Prefix of the topic names and the app id, e.g. `crash-loop-memory`. */
  name: string;
  partitions: number;
  keys: number;
  /** Replication factor and configs of the input and output topics. */
  topics?: Pick<CreateTopicOptions, 'replicationFactor' | 'configEntries'>;
  /** A cluster of its own: the client and its bootstrap servers (default KAFKA_BROKERS). */
  cluster?: { client: Kafka; bootstrap: string[] };
  /** More environment for the workers (TEST_STORE, TEST_SLOW_EVERY, ...). */
  env?: Record<string, string>;
  /** How long a SIGTERM may take (default: the fleet's 30 s). */
  stopBoundMs?: number;
  /** Run the workers exactly-once (processingGuarantee 'exactly_once'). */
  exactlyOnce?: boolean;
}

export interface CountScenario {
  appId: string;
  input: string;
  output: string;
  source: CountInput;
  pipeline: CountPipeline;
  fleet: WorkerFleet;
  close(): Promise<void>;
}

export async function countScenario(options: CountScenarioOptions): Promise<CountScenario> {
  const client = options.cluster?.client;
  const topicOptions = { client, partitions: options.partitions, ...options.topics };
  const input = await createTopic(uniqueName(`${options.name}-in`), topicOptions);
  const output = await createTopic(uniqueName(`${options.name}-out`), topicOptions);
  const appId = uniqueName(options.name);
  const stateRoot = mkdtempSync(join(tmpdir(), `strom-${options.name}-`));
  const source = new CountInput({ topic: input, partitions: options.partitions, keys: options.keys, client });
  const fleet = new WorkerFleet({
    name: appId,
    app: 'test/fixtures/count-app.ts',
    env: {
      TEST_APP_ID: appId,
      TEST_INPUT: input,
      TEST_OUTPUT: output,
      ...(options.cluster ? { STROM_BROKER: options.cluster.bootstrap.join(',') } : {}),
      ...(options.exactlyOnce ? { TEST_GUARANTEE: 'exactly_once' } : {}),
      ...options.env,
    },
    slotEnv: (slot) => ({ TEST_STATE_DIR: join(stateRoot, `slot-${slot}`) }),
    stopBoundMs: options.stopBoundMs,
  });
  const pipeline = new CountPipeline({
    appId,
    input,
    output,
    client,
    bootstrap: options.cluster?.bootstrap,
    // a worker that failed will not finish the input: stop waiting and show why
    giveUpWhen: () => fleet.incidents.length > 0,
    transactional: options.exactlyOnce,
  });
  return {
    appId,
    input,
    output,
    source,
    pipeline,
    fleet,
    close: async () => {
      await source.close();
      await fleet.close();
      await pipeline.close();
      rmSync(stateRoot, { recursive: true, force: true });
    },
  };
}

/** Reads the table and the output topic and checks them against what the input acknowledged. */
export async function countVerdict(scenario: CountScenario): Promise<CountCheck> {
  const counts = await scenario.pipeline.readCounts();
  const ids = await scenario.pipeline.readOutputIds();
  return checkCounts(counts, scenario.source.truth, { ids, acked: scenario.source.ackedIds });
}

/** The assertions every scenario ends with: no incident, no key below its truth, no event uncounted. */
export function expectNothingLost(check: CountCheck, fleet: WorkerFleet): void {
  expect(fleet.report()).toBe('');
  expect(check.short, 'keys counted below their truth').toEqual([]);
  expect(check.lost).toBe(0);
  expect(check.firstMissingIds, 'events that were never counted').toEqual([]);
  expect(check.unknownKeys).toEqual([]);
}
