import type { Logger } from '../logging/logger.js';
import { ALL_PARTITIONS, changelogCodec } from '../tables/changelog.js';
import type { Table } from '../tables/table.js';
import type { TablePartition } from '../tables/table-partition.js';
import { STREAM_TIME_ID } from '../tables/windowed-table.js';
import { partitionForKey } from '../transport/key-partition.js';
import type { PartitionOwners } from './partition-owners.js';
import { parseKeyParam } from './table-key.js';

type AnyTable = Table<unknown, unknown>;

/** What the worker tells table queries about its partitions. */
export interface TableQueriesOptions {
  tables: readonly AnyTable[];
  /** Partitions of the table's changelog; undefined before the worker knows its topics. */
  partitionCount: (table: AnyTable) => number | undefined;
  /** The table partition when this worker holds it recovered, else undefined. */
  heldPartition: (table: AnyTable, partition: number) => TablePartition<unknown> | undefined;
  /** True when this worker is assigned `partition` of a topic with `count` partitions. */
  isAssigned: (count: number, partition: number) => boolean;
  /** Why no partition of this worker is current now (starting, in a rebalance), else undefined. */
  notCurrent: () => string | undefined;
  /** The group's owners as last described, undefined while unknown. */
  owners: () => PartitionOwners | undefined;
  memberId: () => string | undefined;
  log: Logger;
}

/** A window of a key and its value (the aggregate's result). */
export interface WindowAnswer {
  startMs: number;
  endMs: number;
  value: unknown;
}

/** How a query ends: an answer from here, a redirection to the owner, or "ask again later". */
export type QueryOutcome =
  | { kind: 'answer'; status: 200 | 400 | 404; body: Record<string, unknown> }
  | { kind: 'forward'; url: string }
  | { kind: 'unavailable'; reason: string };

/** What a read gets: the key, and the table partition holding it (held and recovered here). */
interface Located {
  table: AnyTable;
  key: unknown;
  partition: number;
  local: TablePartition<unknown>;
}

/**
 * Interactive queries of one worker: finds the partition of a key (Kafka's default
 * partitioner over the key's JSON, as groupBy and JSON-keyed topics place records), answers
 * from the local partition when this worker holds it recovered, names the owner to forward to
 * when another worker holds it, and refuses ("unavailable") when no answer would be current.
 */
export class TableQueries {
  constructor(private readonly options: TableQueriesOptions) {}

  /** The value of a key: 200 with it, or 404 when the key has none. */
  get(name: string, keyText: string, forwarded: boolean): Promise<QueryOutcome> {
    return this.query(name, keyText, forwarded, 'plain', async ({ table, key, partition, local }) => {
      const value = await local.get(changelogCodec.keyId(key));
      if (value === undefined)
        return notFound({
          table: table.name,
          key,
          partition,
          error: `no value for key ${JSON.stringify(key)}`,
        });
      return ok({ table: table.name, key, partition, value });
    });
  }

  /** The windows of a key starting in [fromMs, toMs), oldest first. */
  windows(
    name: string,
    keyText: string,
    fromMs: number,
    toMs: number,
    forwarded: boolean,
  ): Promise<QueryOutcome> {
    return this.query(name, keyText, forwarded, 'windowed', async ({ table, key, partition }) => {
      const windows = await this.windowsOf(table, key, fromMs, toMs);
      return ok({ table: table.name, key, partition, fromMs, toMs, windows });
    });
  }

  /**
   * The window of a key holding time `atMs` — by default the partition's stream time (the
   * latest event time it saw): the window events are going into now.
   */
  current(
    name: string,
    keyText: string,
    atMs: number | undefined,
    forwarded: boolean,
  ): Promise<QueryOutcome> {
    return this.query(name, keyText, forwarded, 'windowed', async ({ table, key, partition, local }) => {
      const streamTime = await local.get(STREAM_TIME_ID);
      const time = atMs ?? (typeof streamTime === 'number' ? streamTime : undefined);
      const base = { table: table.name, key, partition, atMs: time ?? null };
      if (time === undefined) return notFound({ ...base, error: 'the partition has seen no event yet' });
      const all = await this.windowsOf(table, key, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
      const holding = all.filter((w) => w.startMs <= time && time < w.endMs);
      const window = holding[holding.length - 1];
      if (window === undefined) return notFound({ ...base, error: `no window of the key holds ${time}` });
      return ok({ ...base, window });
    });
  }

  /** The tables a query may name, with their kind. */
  list(): Array<{ name: string; windowed: string | null; global: boolean; partitions: number | null }> {
    return this.options.tables.map((t) => ({
      name: t.name,
      windowed: t.windowKind ?? null,
      global: t.global,
      partitions: this.options.partitionCount(t) ?? null,
    }));
  }

  private async windowsOf(
    table: AnyTable,
    key: unknown,
    fromMs: number,
    toMs: number,
  ): Promise<WindowAnswer[]> {
    const view = table.windowedView!;
    const found = await view.range(key, fromMs, toMs);
    return found.map(({ window, value }) => ({
      startMs: window.startMs,
      endMs: window.endMs,
      value: view.resultOf(value),
    }));
  }

  /**
   * Step 1: the table and the key (a 404 or 400 when they make no sense).
   * Step 2: nothing is current while the worker starts or the group rebalances: unavailable.
   * Step 3: the key's partition; held here and recovered: read it.
   * Step 4: assigned here but recovering, or asked by another worker that believed it is here
   *         (ownership moved since): unavailable.
   * Step 5: otherwise forward to the owner the group description names.
   */
  private async query(
    name: string,
    keyText: string,
    forwarded: boolean,
    kind: 'plain' | 'windowed',
    read: (located: Located) => Promise<QueryOutcome>,
  ): Promise<QueryOutcome> {
    const table = this.options.tables.find((t) => t.name === name);
    if (!table) {
      const names = this.options.tables.map((t) => t.name).join(', ') || 'none';
      return notFound({ error: `no table "${name}": the tables are ${names}` });
    }
    if (kind === 'windowed' && !table.windowedView)
      return badRequest({ error: `table "${name}" is not windowed: ask /tables/${name}/KEY` });
    if (kind === 'plain' && table.windowedView)
      return badRequest({
        error: `table "${name}" is windowed: ask /tables/${name}/KEY/windows?fromMs=&toMs= or /tables/${name}/KEY/current`,
      });
    const key = parseKeyParam(keyText);
    const notCurrent = this.options.notCurrent();
    if (notCurrent !== undefined) return { kind: 'unavailable', reason: notCurrent };
    if (table.global) {
      const local = this.options.heldPartition(table, ALL_PARTITIONS);
      if (!local) return { kind: 'unavailable', reason: `global table "${name}" is loading` };
      return read({ table, key, partition: ALL_PARTITIONS, local });
    }
    const count = this.options.partitionCount(table);
    if (count === undefined) return { kind: 'unavailable', reason: 'the worker is starting' };
    const partition = partitionForKey(Buffer.from(changelogCodec.keyId(key)), count);
    const local = this.options.heldPartition(table, partition);
    if (local) return read({ table, key, partition, local });
    if (this.options.isAssigned(count, partition))
      return { kind: 'unavailable', reason: `recovering table partition ${name}[${partition}]` };
    if (forwarded)
      return { kind: 'unavailable', reason: `partition ${partition} moved away from this worker` };
    const owner = this.options.owners()?.ownerOf(count, partition);
    if (!owner)
      return { kind: 'unavailable', reason: `no worker is known to own partition ${partition} now` };
    if (owner.memberId === this.options.memberId())
      return { kind: 'unavailable', reason: `partition ${partition} is being assigned` };
    if (!owner.url)
      return {
        kind: 'unavailable',
        reason: `the owner of partition ${partition} runs no web server (its app has web: false)`,
      };
    return { kind: 'forward', url: owner.url };
  }
}

function ok(body: Record<string, unknown>): QueryOutcome {
  return { kind: 'answer', status: 200, body };
}

function notFound(body: Record<string, unknown>): QueryOutcome {
  return { kind: 'answer', status: 404, body };
}

function badRequest(body: Record<string, unknown>): QueryOutcome {
  return { kind: 'answer', status: 400, body };
}
