/**
 * The kafkajs consumer and producer every hand-written program uses: Strom's default fetch
 * settings, the default (murmur2) partitioner, no idempotence, as the Strom programs run.
 */
import { type Consumer, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import type { SystemConfig } from '../protocol.js';

export async function connectClients(
  config: SystemConfig,
): Promise<{ consumer: Consumer; producer: Producer }> {
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
  await producer.connect();
  await consumer.connect();
  // SIGTERM from the harness: leave the group and exit
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
  return { consumer, producer };
}
