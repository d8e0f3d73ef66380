import { kafkajs } from './kafkajs-loader.js';

const defaultPartitioner = kafkajs.Partitioners.DefaultPartitioner();

/**
 * The partition Kafka's default partitioner gives a record with this key (murmur2, as the Java
 * client and Strom's producer): where a keyed record, and so its table entry, lives.
 */
export function partitionForKey(key: Buffer, partitions: number): number {
  // with a key, the partitioner only needs the partition count (leaders do not matter)
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    offlineReplicas: [],
    partitionErrorCode: 0,
  }));
  return defaultPartitioner({ topic: '', partitionMetadata, message: { key, value: null } });
}
