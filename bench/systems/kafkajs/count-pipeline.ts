/**
 * The stateful and windowed scenarios as hand-written kafkajs programs share one shape, the two
 * stages Strom's `groupBy` + table and Faust's `group_by` + Table run:
 *
 * 1. input (and probe) batches: decode each ride, send it re-encoded as JSON to the repartition
 *    topic, keyed by the JSON text of its group key (the default murmur2 partitioner, as Strom
 *    and Faust do), one send (acks -1) per fetched batch;
 * 2. repartition batches: decode each ride, add 1 to its table key in a `Map` of the batch's
 *    partition, and send the new count (key: the table key's JSON text, value: the count as
 *    JSON) to the same partition of the changelog topic, one send per batch.
 *
 * One consumer reads the three topics, 4 partitions at a time like Strom's default; a batch's
 * offset is resolved after its send is acknowledged and kafkajs commits it after the batch
 * (at-least-once). No recovery: the changelog is empty when a run starts.
 */
import type { Message } from 'kafkajs';
import { firstConsumed, type Ride, report, type SystemConfig } from '../protocol.js';
import { connectClients } from './clients.js';

export interface CountSpec {
  /** The key rides are repartitioned by. */
  groupKey(ride: Ride): number;
  /** The table key (JSON text) a ride counts in, or undefined when it is late and not counted. */
  tableKey(ride: Ride, partition: number): string | undefined;
}

export async function runCountPipeline(config: SystemConfig, spec: CountSpec): Promise<void> {
  const { consumer, producer } = await connectClients(config);
  const first = firstConsumed();
  const sources = new Set([config.input, config.probe]);
  const tables = new Map<number, Map<string, number>>();

  await consumer.subscribe({ topics: [...sources, config.repartition], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 4,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset }) => {
      if (batch.messages.length === 0) return;
      const messages: Message[] = [];
      if (sources.has(batch.topic)) {
        first();
        for (const m of batch.messages) {
          if (m.value === null) continue;
          const ride = JSON.parse(m.value.toString('utf8')) as Ride;
          messages.push({ key: JSON.stringify(spec.groupKey(ride)), value: JSON.stringify(ride) });
        }
        if (messages.length > 0) await producer.send({ topic: config.repartition, acks: -1, messages });
      } else {
        let table = tables.get(batch.partition);
        if (!table) tables.set(batch.partition, (table = new Map()));
        for (const m of batch.messages) {
          if (m.value === null) continue;
          const ride = JSON.parse(m.value.toString('utf8')) as Ride;
          const key = spec.tableKey(ride, batch.partition);
          if (key === undefined) continue;
          const count = (table.get(key) ?? 0) + 1;
          table.set(key, count);
          messages.push({ key, value: String(count), partition: batch.partition });
        }
        if (messages.length > 0) await producer.send({ topic: config.output, acks: -1, messages });
      }
      resolveOffset(batch.lastOffset());
    },
  });
  report({ ready: Date.now() });
}
