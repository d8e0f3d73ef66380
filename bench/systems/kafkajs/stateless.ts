/**
 * Scenario "stateless" as a hand-written kafkajs program, no framework: the ceiling for a
 * kafkajs-based framework. eachBatch (4 partitions concurrently, like Strom's default), decode
 * each value, keep rides with total_amount >= threshold, one sendBatch (acks -1) per fetched
 * batch with the keys unchanged, then resolve the batch's offset: kafkajs commits it after the
 * batch (at-least-once, commit after the produce acks).
 */
import { Kafka, logLevel, type Message, Partitioners } from 'kafkajs';
import { firstConsumed, type Ride, report, systemConfig } from '../protocol.js';

const config = systemConfig();
const kafka = new Kafka({ clientId: config.group, brokers: [config.broker], logLevel: logLevel.ERROR });
const consumer = kafka.consumer({
  groupId: config.group,
  // the same fetch settings as Strom's defaults
  maxWaitTimeInMs: 500,
  maxBytesPerPartition: 1_048_576,
  sessionTimeout: 10_000,
  heartbeatInterval: 3000,
  allowAutoTopicCreation: false,
});
const producer = kafka.producer({
  createPartitioner: Partitioners.DefaultPartitioner,
  allowAutoTopicCreation: false,
  idempotent: false,
});
const first = firstConsumed();
const { threshold, output } = config;

await producer.connect();
await consumer.connect();
await consumer.subscribe({ topics: [config.input, config.probe], fromBeginning: true });
await consumer.run({
  partitionsConsumedConcurrently: 4,
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset }) => {
    if (batch.messages.length === 0) return;
    first();
    const messages: Message[] = [];
    for (const m of batch.messages) {
      if (m.value === null) continue;
      const ride = JSON.parse(m.value.toString('utf8')) as Ride;
      if (ride.total_amount >= threshold) {
        messages.push({ key: m.key, value: Buffer.from(JSON.stringify(ride)) });
      }
    }
    if (messages.length > 0) await producer.send({ topic: output, acks: -1, messages });
    resolveOffset(batch.lastOffset());
  },
});
report({ ready: Date.now() });

let stopping = false;
const stop = async () => {
  if (stopping) process.exit(130);
  stopping = true;
  await consumer.disconnect();
  await producer.disconnect();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
