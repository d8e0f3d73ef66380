/**
 * Stream-table and stream-globalTable joins: each event looks up the current value of a table at
 * the time it is processed (Kafka Streams' KStream-KTable join: no window, no buffering, and a
 * table update never triggers a result). A co-partitioned table is read in the event's own
 * partition with the event's key; a global table with the key the extractor gives.
 */
import { ConfigError, StromError } from '../errors/errors.js';
import type { Stage } from '../streams/sources.js';
import { ALL_PARTITIONS, changelogCodec } from '../tables/changelog.js';
import type { Table } from '../tables/table.js';
import type { JoinKind } from './types.js';

/** How a stream finds its table key: an extractor, and for a co-partitioned table the repartition name. */
export type TableJoinKey<T, K> = ((value: T) => K) | { key: (value: T) => K; name: string };

export interface TableJoinArgs {
  /** The lookup key of a global table, or the re-keying of a co-partitioned one. */
  key: ((value: unknown) => unknown) | undefined;
  /** The repartition name, for a co-partitioned table joined on another key. */
  name: string | undefined;
  joiner: (left: unknown, right: unknown) => unknown;
}

/** Sorts out `join(table, joiner)` and `join(table, key, joiner)`, with a message for a bad call. */
export function tableJoinArgs(
  table: Table<unknown, unknown, unknown>,
  second: unknown,
  third: unknown,
): TableJoinArgs {
  const joiner = (third ?? second) as TableJoinArgs['joiner'];
  if (typeof joiner !== 'function')
    throw new ConfigError(`join(${table}): the last argument is the joiner function`);
  if (third === undefined) {
    if (table.global)
      throw new ConfigError(
        `join(${table}): a global table needs a key extractor, join(table, (value) => key, joiner)`,
      );
    return { key: undefined, name: undefined, joiner };
  }
  const spec = second as TableJoinKey<unknown, unknown>;
  const key = typeof spec === 'function' ? spec : spec?.key;
  const name = typeof spec === 'function' ? undefined : spec?.name;
  if (typeof key !== 'function')
    throw new ConfigError(`join(${table}, key, joiner): key is a function or { key, name }`);
  if (!table.global && !name) {
    throw new ConfigError(
      `join(${table}, { key, name }, joiner): joining a co-partitioned table on another key than the record key re-keys the stream through the repartition topic <appId>-<name>-repartition: give it a name`,
    );
  }
  return { key, name, joiner };
}

/**
 * The stage that joins each event with `table`: inner drops events whose key is absent, left
 * passes undefined. The table's default is not used: an absent key is no match.
 */
export function tableJoinStage(
  table: Table<unknown, unknown, unknown>,
  kind: Exclude<JoinKind, 'outer'>,
  key: ((value: unknown) => unknown) | undefined,
  joiner: (left: unknown, right: unknown) => unknown,
): Stage {
  const apply = (item: { value: unknown }, right: unknown): boolean | Promise<boolean> => {
    if (right === undefined && kind === 'inner') return false;
    const result = joiner(item.value, right);
    if (result instanceof Promise) {
      return result.then((value) => {
        item.value = value;
        return true;
      });
    }
    item.value = result;
    return true;
  };
  return (item) => {
    const partition = table.partitionAt(table.global ? ALL_PARTITIONS : item.event.partition);
    if (partition === undefined && !table.global) {
      throw new StromError('TOPIC', `join(${table}): no partition ${item.event.partition} of it here`, {
        topic: item.event.topic,
        partition: item.event.partition,
        offset: item.event.offset,
      });
    }
    const id = changelogCodec.keyId(key ? key(item.value) : item.event.key);
    const hit = partition?.peek(id);
    if (partition === undefined || hit?.found) return apply(item, hit?.value);
    return partition.get(id).then((right) => apply(item, right));
  };
}
