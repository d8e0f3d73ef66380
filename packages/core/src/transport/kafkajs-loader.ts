import { createRequire, Module } from 'node:module';
import type * as KafkaJs from 'kafkajs';
import { groupMessagesPerPartition } from './group-messages-per-partition.js';
import { produceRequestV3 } from './produce-request.js';

/** A decoded record as kafkajs' consumer sees it, with the fields the filter reads. */
export interface FetchedRecord {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

/** An aborted transaction as a read_committed fetch lists it. */
export interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);

/**
 * The records of a read_committed fetch that are not part of an aborted transaction (control
 * records stay: kafkajs drops them after this). kafkajs 2.2.4's own filter activates at most one
 * aborted transaction per record it looks at, so when a fetch starts past the first offsets of
 * several aborted transactions, records of all but the first get through (an exactly-once fault
 * test read 16,260 records of aborted transactions as if committed). Here every aborted
 * transaction that began at or before a record is active for it.
 */
export function filterAbortedMessages<R extends FetchedRecord>({
  messages,
  abortedTransactions,
}: {
  messages: readonly R[];
  abortedTransactions?: readonly AbortedTransaction[];
}): R[] {
  if (!abortedTransactions || abortedTransactions.length === 0) return [...messages];
  const pending = [...abortedTransactions].sort((a, b) =>
    BigInt(a.firstOffset) < BigInt(b.firstOffset)
      ? -1
      : BigInt(a.firstOffset) > BigInt(b.firstOffset)
        ? 1
        : 0,
  );
  const active = new Set<string>();
  return messages.filter((message) => {
    const offset = BigInt(message.offset);
    while (pending.length > 0 && offset >= BigInt(pending[0]!.firstOffset))
      active.add(pending.shift()!.producerId);
    const { producerId, inTransaction } = message.batchContext;
    if (
      message.isControlRecord &&
      message.key !== null &&
      Buffer.from(message.key).equals(ABORT_MARKER_KEY)
    ) {
      active.delete(producerId);
      return true;
    }
    return !(inTransaction && active.has(producerId));
  });
}

/**
 * kafkajs, loaded with three of its modules replaced, which other kafkajs modules require at load:
 * - `src/consumer/filterAbortedMessages.js` by {@link filterAbortedMessages} (record batches);
 * - `src/producer/groupMessagesPerPartition.js` by {@link groupMessagesPerPartition} (sends);
 * - `src/protocol/requests/produce/v3/request.js` (v4-v7 build on it) by {@link produceRequestV3}.
 * A module another import of kafkajs loaded first in this process stays kafkajs' own.
 */
function loadKafkaJs(): typeof KafkaJs {
  const require = createRequire(import.meta.url);
  const replace = (request: string, exports: unknown) => {
    const path = require.resolve(request);
    if (require.cache[path] !== undefined) return;
    const replacement = new Module(path);
    replacement.filename = path;
    replacement.loaded = true;
    replacement.exports = exports;
    require.cache[path] = replacement;
  };
  replace('kafkajs/src/consumer/filterAbortedMessages.js', filterAbortedMessages);
  replace('kafkajs/src/producer/groupMessagesPerPartition.js', groupMessagesPerPartition);
  replace('kafkajs/src/protocol/requests/produce/v3/request.js', produceRequestV3);
  return require('kafkajs') as typeof KafkaJs;
}

export const kafkajs = loadKafkaJs();
