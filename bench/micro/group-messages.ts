/**
 * Micro-benchmark of grouping a produce request's records per partition: kafkajs 2.2.4's
 * `groupMessagesPerPartition` (a copy of a partition's array per record) against Strom's
 * (packages/core/src/transport/group-messages-per-partition.ts), on requests of 2,000 and
 * 10,000 records over 4 partitions with kafkajs' default partitioner, the two interleaved.
 *
 *   pnpm exec tsx bench/micro/group-messages.ts [rounds]
 */
import { createRequire } from 'node:module';
import type { Partitioners as KafkaJsPartitioners } from 'kafkajs';
import { groupMessagesPerPartition } from '../../packages/core/src/transport/group-messages-per-partition.js';

type Group = typeof groupMessagesPerPartition;
const require = createRequire(import.meta.url);
// kafkajs' own modules: this process loads kafkajs without Strom's loader
const kafkajsGroup = require('kafkajs/src/producer/groupMessagesPerPartition.js') as Group;
const { Partitioners } = require('kafkajs') as { Partitioners: typeof KafkaJsPartitioners };

const rounds = Number(process.argv[2] ?? 5);
const partitions = 4;
const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
  partitionId,
  leader: 0,
  replicas: [0],
  isr: [0],
  offlineReplicas: [],
  partitionErrorCode: 0,
}));
const partitioner = Partitioners.DefaultPartitioner() as Parameters<Group>[0]['partitioner'];

/** Milliseconds per request: `requests` requests of `size` records, grouped by `group`. */
function time(group: Group, size: number, requests: number): number {
  const messages = Array.from({ length: size }, (_, i) => ({
    key: Buffer.from(`k${i}`),
    value: Buffer.from('v'),
    partition: (i * 7919) % partitions,
  }));
  let sink = 0;
  const started = process.hrtime.bigint();
  for (let r = 0; r < requests; r++)
    sink += Object.keys(group({ topic: 't', partitionMetadata, messages, partitioner })).length;
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (sink !== requests * partitions) throw new Error('grouping lost partitions');
  return ms / requests;
}

const systems: Array<[string, Group]> = [
  ['kafkajs', kafkajsGroup],
  ['strom', groupMessagesPerPartition],
];
for (const size of [2_000, 10_000]) {
  const requests = Math.max(20, Math.round(2_000_000 / size ** 1.5));
  for (const [, group] of systems) time(group, size, 5); // warm up
  const ms: Record<string, number[]> = { kafkajs: [], strom: [] };
  for (let round = 0; round < rounds; round++)
    for (const [name, group] of systems) ms[name]!.push(time(group, size, requests));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    JSON.stringify({
      records: size,
      requests,
      rounds,
      kafkajsMsPerRequest: Number(median(ms.kafkajs!).toFixed(3)),
      stromMsPerRequest: Number(median(ms.strom!).toFixed(3)),
      kafkajsNsPerRecord: Math.round((median(ms.kafkajs!) * 1e6) / size),
      stromNsPerRecord: Math.round((median(ms.strom!) * 1e6) / size),
    }),
  );
}
