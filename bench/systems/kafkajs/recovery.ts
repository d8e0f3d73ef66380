/**
 * Scenario "recovery" as a hand-written kafkajs program: the least a kafkajs-based program must
 * do to restore a table, the ceiling for a framework. It reads every changelog partition from
 * its start to the end offset it had when it started, into a Map (JSON-decoded values,
 * tombstones delete), and meanwhile joins its group on the probe topic; a probe of a partition
 * waits until that changelog partition is read, then looks its key up in the Map.
 *
 * The changelog is read by a consumer of a group of its own (kafkajs has no group-less
 * consumer), with Strom's fetch settings; the restore starts ("assigned") when that group hands
 * it the changelog partitions. No store: the restart with a checkpoint does not apply.
 */
import { Kafka, logLevel } from 'kafkajs';
import { report, systemConfig } from '../protocol.js';
import { PARTITIONS, Probes, TableDigest } from '../recovery-table.js';

const config = systemConfig();
const kafka = new Kafka({ clientId: config.group, brokers: [config.broker], logLevel: logLevel.ERROR });
// the same fetch settings as Strom's defaults
const fetchSettings = {
  maxWaitTimeInMs: 500,
  maxBytesPerPartition: 1_048_576,
  sessionTimeout: 10_000,
  heartbeatInterval: 3000,
  allowAutoTopicCreation: false,
};

// the end of every changelog partition when the program starts: the restore reads up to there
const admin = kafka.admin();
await admin.connect();
const ends = new Map(
  (await admin.fetchTopicOffsets(config.output)).map((o) => [o.partition, Number(o.high)]),
);
await admin.disconnect();

const table = new Map<string, unknown>();
let recordsRead = 0;
const restored: Array<() => void> = [];
const partitionRestored = Array.from(
  { length: PARTITIONS },
  (_, p) =>
    new Promise<void>((resolve) => {
      restored[p] = resolve;
      if ((ends.get(p) ?? 0) === 0) resolve();
    }),
);

const restorer = kafka.consumer({ groupId: `${config.group}-restore`, ...fetchSettings });
let assigned = false;
restorer.on(restorer.events.GROUP_JOIN, () => {
  if (!assigned) report({ assigned: Date.now() });
  assigned = true;
});

const consumer = kafka.consumer({ groupId: config.group, ...fetchSettings });
const probes = new Probes();

await Promise.all([
  (async () => {
    await restorer.connect();
    await restorer.subscribe({ topic: config.output, fromBeginning: true });
    await restorer.run({
      partitionsConsumedConcurrently: PARTITIONS,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const key = m.key!.toString('utf8');
          if (m.value === null) table.delete(key);
          else table.set(key, JSON.parse(m.value.toString('utf8')));
        }
        recordsRead += batch.messages.length;
        if (Number(batch.lastOffset()) + 1 >= (ends.get(batch.partition) ?? 0)) restored[batch.partition]!();
      },
    });
  })(),
  (async () => {
    await consumer.connect();
    await consumer.subscribe({ topic: config.probe, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: PARTITIONS,
      eachMessage: async ({ partition, message }) => {
        await partitionRestored[partition];
        const value = table.get(message.key!.toString('utf8')) ?? 0;
        if (!probes.processed(partition, value)) return;
        const digest = new TableDigest();
        for (const [key, v] of table) digest.add(JSON.parse(key) as string, v);
        digest.report(recordsRead);
      },
    });
  })(),
]);
report({ ready: Date.now() });

let stopping = false;
const stop = async () => {
  if (stopping) process.exit(130);
  stopping = true;
  await Promise.all([consumer.disconnect(), restorer.disconnect()]);
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
