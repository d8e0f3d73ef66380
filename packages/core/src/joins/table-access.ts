import type { Logger } from '../logging/logger.js';
import { currentEvent } from '../streams/current-event.js';
import type { Table } from '../tables/table.js';

/** Any table, whatever its value type (joins read stored values, never defaults). */
export type AnyTable<K, V> = Table<K, V, unknown>;

/** What a call may return: a value now, or a promise when a store had to be read. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Reads `key`'s stored value in the current event's partition and hands it to `use`: at once
 * when it is in memory (so a join's writes happen before the table write that caused them
 * returns), else after the store read. `use` runs without a pause between the read and its own
 * writes and sends, so what it sends follows the order of the table's writes.
 */
export function withCurrent<K, V, T>(
  table: AnyTable<K, V>,
  key: K,
  use: (value: V | undefined) => MaybePromise<T>,
): MaybePromise<T> {
  const hit = table.peekCurrent(key);
  if (hit.found) return use(hit.value);
  return table.current(key).then((read) => {
    // a write made while the store was read is newer than what the store had
    const again = table.peekCurrent(key);
    return use(again.found ? again.value : read);
  });
}

/** Sets `key` of a derived table, or deletes it when `value` is undefined (no tombstone for an absent key). */
export function writeDerived<K, V>(
  table: AnyTable<K, V>,
  key: K,
  value: V | undefined,
): void | Promise<void> {
  if (value !== undefined) return table.set(key, value);
  const hit = table.peekCurrent(key);
  if (hit.found && hit.value === undefined) return;
  return table.delete(key);
}

/**
 * Logs a join's failure with the coordinates of the event that caused it, then rethrows: the
 * agent that wrote the side (if it awaits its write) dead-letters the event as for any error.
 */
export function reportFailure(log: Logger, join: string, work: void | Promise<void>): void | Promise<void> {
  if (work === undefined) return;
  const event = currentEvent();
  const reported = work.catch((error: unknown) => {
    log.error(
      { err: error, join, topic: event?.topic, partition: event?.partition, offset: event?.offset },
      'join failed to follow a table write',
    );
    throw error;
  });
  // a caller that does not await its write must not meet an unhandled rejection (it is logged)
  reported.catch(() => undefined);
  return reported;
}

/** Same identity as a table key: equal JSON texts. */
export function sameKey(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
