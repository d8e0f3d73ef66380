/**
 * Scenario "stateless" as a hand-written kafkajs program, no framework: the ceiling for a
 * kafkajs-based framework. eachBatch (4 partitions concurrently, like Strom's default), decode
 * each value, keep rides with total_amount >= threshold, one sendBatch (acks -1) per fetched
 * batch with the keys unchanged, then resolve the batch's offset: kafkajs commits it after the
 * batch (at-least-once, commit after the produce acks).
 */
import type { Message } from 'kafkajs';
import { firstConsumed, type Ride, report, systemConfig } from '../protocol.js';
import { connectClients } from './clients.js';

const config = systemConfig();
const { consumer, producer } = await connectClients(config);
const first = firstConsumed();
const { threshold, output } = config;

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
