/**
 * Starts its own 3-broker cluster (separate state dir and ports, so the single broker the other
 * tests share is untouched), kills one node with SIGKILL and checks that acks=all writes to a
 * replication-factor-3, min.insync.replicas=2 topic keep being acknowledged.
 * Set KAFKA_SKIP_CLUSTER_TESTS=1 to skip (e.g. with KAFKA_BROKERS pointing at a broker without a
 * local Java + Maven to launch a cluster).
 */
import { join } from 'node:path';
import { type Kafka, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killKafkaNode, startKafka, stopKafka } from '../../scripts/kafka/launcher.js';
import { defaultPort, defaultStateDir } from '../../scripts/kafka/paths.js';
import { collect, createTopic, kafka, uniqueName } from '../support/kafka.js';

const stateDir = join(defaultStateDir(), 'failover-test');
// node i listens on base + i * 10000; base = KAFKA_PORT + 100, so 19192, 29192, 39192 by default:
// clear of `pnpm kafka start --brokers 3` (19092, ...) and of runs that use another KAFKA_PORT
const PORT_BASE = defaultPort() + 100;

describe.skipIf(process.env.KAFKA_SKIP_CLUSTER_TESTS === '1')('3-broker cluster failover', () => {
  let client: Kafka;

  beforeAll(async () => {
    await stopKafka({ stateDir, log: () => undefined }); // leftovers of an interrupted run
    const { bootstrap } = await startKafka({ brokers: 3, port: PORT_BASE, stateDir });
    client = kafka({ brokers: bootstrap });
    // warm-up while all 3 brokers are alive: __consumer_offsets (RF 3) is created on first use
    // and could not be created with one broker down
    const warm = await createTopic(uniqueName('warmup'), { client });
    const p = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await p.connect();
    await p.send({ topic: warm, messages: [{ value: 'x' }] });
    await p.disconnect();
    expect(await collect(warm, 1, { client })).toHaveLength(1);
  });

  afterAll(async () => {
    // the data is thrown away: give the survivors 3 s for a graceful stop, then SIGKILL
    await stopKafka({ stateDir, timeoutMs: 3_000, log: () => undefined });
  });

  it('keeps acknowledging acks=all writes to an RF-3 topic after one broker is killed', async () => {
    const topic = await createTopic(uniqueName('failover'), {
      client,
      partitions: 3,
      replicationFactor: 3,
      configEntries: { 'min.insync.replicas': '2' },
    });
    const producer = client.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
      // ride out leader moves: the controller fences the dead broker after broker.session.timeout.ms (6 s)
      retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 2_000 },
    });
    await producer.connect();
    // One send() per partition. kafkajs 2.2.4 can resolve a multi-partition send() while silently
    // dropping the records of a partition whose leader moved to a broker that had already answered
    // an earlier attempt of the same send() (tulios/kafkajs#1303, open; seen here: 8 of 30 records
    // of the first batch after the kill were missing). With one partition per send(), a retry
    // always resends everything.
    const partitions = [0, 1, 2];
    const acked: string[] = [];
    const sendBatch = async (batch: number) => {
      for (const partition of partitions) {
        const messages = Array.from({ length: 10 }, (_, i) => ({
          partition,
          value: `${batch}-${partition}-${i}`,
        }));
        const meta = await producer.send({ topic, acks: -1, messages });
        expect(meta.map((m) => m.partition)).toEqual([partition]);
        acked.push(...messages.map((m) => m.value));
      }
    };

    const leaderOfPartition0 = async (): Promise<number> => {
      const admin = client.admin();
      await admin.connect();
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        return topics[0]!.partitions.find((p) => p.partitionId === 0)!.leader;
      } finally {
        await admin.disconnect();
      }
    };

    for (let b = 0; b < 5; b++) await sendBatch(b);
    // kill the leader of partition 0, so at least one partition must fail over
    const victim = await leaderOfPartition0();
    await killKafkaNode({ stateDir, brokers: 3, nodeId: victim });
    for (let b = 5; b < 20; b++) await sendBatch(b);
    await producer.disconnect();

    expect(await leaderOfPartition0()).not.toBe(victim);

    expect(acked).toHaveLength(20 * 30);
    // every acknowledged record is readable from the two surviving brokers, exactly once
    const got = await collect(topic, acked.length, { client });
    expect(got.map((m) => m.value).sort()).toEqual([...acked].sort());
  });
});
