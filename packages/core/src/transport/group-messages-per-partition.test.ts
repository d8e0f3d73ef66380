import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../../test/faults/support/seeded-random.js';
import { groupMessagesPerPartition, type PartitionerArgs } from './group-messages-per-partition.js';

interface Message {
  id: number;
  partition: number;
}

/** The obvious grouping: for each partition seen, the messages the partitioner sent there. */
function reference(messages: readonly Message[], pick: (m: Message) => number): Record<number, Message[]> {
  const partitions = new Set(messages.map(pick));
  return Object.fromEntries([...partitions].map((p) => [p, messages.filter((m) => pick(m) === p)]));
}

describe('groupMessagesPerPartition', () => {
  it('groups random requests as the reference does, calling the partitioner once per message in order', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const { next } = seededRandom(seed);
      const partitions = 1 + Math.floor(next() * 12);
      const messages = Array.from({ length: Math.floor(next() * 3000) }, (_, id) => ({
        id,
        partition: Math.floor(next() * partitions),
      }));
      const calls: PartitionerArgs<Message>[] = [];
      const metadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId }));
      const grouped = groupMessagesPerPartition({
        topic: `t${seed}`,
        partitionMetadata: metadata,
        messages,
        partitioner: (args) => {
          calls.push(args);
          return args.message.partition;
        },
      });
      expect(grouped).toEqual(reference(messages, (m) => m.partition));
      expect(calls.map((c) => c.message)).toEqual(messages);
      expect(calls.every((c) => c.topic === `t${seed}` && c.partitionMetadata === metadata)).toBe(true);
    }
  });

  it('returns {} without calling the partitioner when the topic has no partition metadata', () => {
    let called = 0;
    const grouped = groupMessagesPerPartition({
      topic: 't',
      partitionMetadata: [],
      messages: [{ id: 0, partition: 0 }],
      partitioner: () => ++called,
    });
    expect(grouped).toEqual({});
    expect(called).toBe(0);
  });
});
