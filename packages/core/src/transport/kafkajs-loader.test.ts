import { describe, expect, it } from 'vitest';
import { groupMessagesPerPartition } from './group-messages-per-partition.js';
import { filterAbortedMessages, kafkajs } from './kafkajs-loader.js';
import { produceRequestV3 } from './produce-request.js';

const COMMIT = Buffer.from([0, 0, 0, 1]);
const ABORT = Buffer.from([0, 0, 0, 0]);
const record = (offset: number, producerId: string, inTransaction = true) => ({
  offset: String(offset),
  key: Buffer.from(`k${offset}`),
  batchContext: { producerId, inTransaction },
});
const marker = (offset: number, producerId: string, key: Buffer) => ({
  offset: String(offset),
  key,
  isControlRecord: true,
  batchContext: { producerId, inTransaction: true },
});

describe('filterAbortedMessages', () => {
  it('drops the records of every aborted transaction that began before the fetch, not only the first', () => {
    // producers A and B aborted transactions that began at 10 and 11; the fetch starts at 20
    const messages = [
      record(20, 'A'),
      record(21, 'B'),
      record(22, 'C'),
      marker(23, 'A', ABORT),
      marker(24, 'B', ABORT),
      marker(25, 'C', COMMIT),
      record(26, 'A'),
    ];
    const kept = filterAbortedMessages({
      messages,
      abortedTransactions: [
        { producerId: 'A', firstOffset: '10' },
        { producerId: 'B', firstOffset: '11' },
      ],
    });
    expect(kept.map((m) => m.offset)).toEqual(['22', '23', '24', '25', '26']);
  });

  it('keeps records outside transactions and everything when nothing was aborted', () => {
    const messages = [record(0, 'A', false), record(1, 'B')];
    expect(
      filterAbortedMessages({ messages, abortedTransactions: [{ producerId: 'A', firstOffset: '0' }] }),
    ).toEqual(messages);
    expect(filterAbortedMessages({ messages })).toEqual(messages);
  });

  it('is the filter kafkajs loaded here uses (a consumer batch drops both aborted transactions)', async () => {
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    const Batch = require('kafkajs/src/consumer/batch.js') as new (
      topic: string,
      fetchedOffset: string,
      data: unknown,
    ) => { messages: Array<{ offset: string }> };
    expect(kafkajs.Kafka).toBeTypeOf('function');
    const batch = new Batch('t', '20', {
      partition: 0,
      highWatermark: '27',
      messages: [record(20, 'A'), record(21, 'B'), record(22, 'C')],
      abortedTransactions: [
        { producerId: 'A', firstOffset: '10' },
        { producerId: 'B', firstOffset: '11' },
      ],
    });
    expect(batch.messages.map((m) => m.offset)).toEqual(['22']);
  });
});

describe('the kafkajs producer', () => {
  it('groups a request with groupMessagesPerPartition, not with kafkajs’ quadratic module', async () => {
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    expect(kafkajs.Kafka).toBeTypeOf('function');
    const grouping = require.cache[require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js')];
    expect(grouping?.exports).toBe(groupMessagesPerPartition);
    // the module that groups a send's messages required this one when it loaded
    const sendMessages = require.cache[require.resolve('kafkajs/src/producer/sendMessages.js')];
    expect(sendMessages?.children).toContain(grouping);
  });

  it('encodes Produce requests v3-v7 with produceRequestV3', async () => {
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    expect(kafkajs.Kafka).toBeTypeOf('function');
    const v3 = require.cache[require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js')];
    expect(v3?.exports).toBe(produceRequestV3);
    // kafkajs requires a version's module when a broker first needs it; v4-v7 build on v3
    const v4Path = require.resolve('kafkajs/src/protocol/requests/produce/v4/request.js');
    require(v4Path);
    expect(require.cache[v4Path]?.children).toContain(v3);
  });
});
