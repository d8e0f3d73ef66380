import { ConfigError, describeError } from '../errors/errors.js';
import { requireCopartitioned } from '../joins/copartition.js';
import { JoinWindows } from '../joins/join-windows.js';
import { startStreamJoin } from '../joins/stream-stream.js';
import { type TableJoinKey, tableJoinArgs, tableJoinStage } from '../joins/stream-table.js';
import type { JoinKind } from '../joins/types.js';
import { Table } from '../tables/table.js';
import { Topic } from '../topics/topic.js';
import type { Headers } from '../transport/types.js';
import { Channel } from './channel.js';
import type { Holder, StreamContext } from './context.js';
import { type EventInfo, eventsOf, finish, type Item, type StreamEvent } from './event.js';
import { type ItemSource, type Op, openSource } from './sources.js';

/** One branch of `stream.branch(...)`: a predicate (none = the default branch) and a target. */
export interface BranchSpec<T> {
  /** Events for which this returns true (and no earlier branch matched) take this branch. */
  when?: (value: T) => boolean;
  /** Send the branch's events to this topic; without it the branch is a sub-stream to iterate. */
  to?: Topic<T> | string;
}

/** The sub-streams of a branching: one per branch that has no `to` topic. */
export type Branches<S, T, K> = {
  [N in keyof S as S[N] extends { to: unknown } ? never : N]: Stream<T, K>;
};

export interface TakeOptions {
  /** Yield a shorter batch when this many ms passed since its first value. Default 1000. */
  withinMs?: number;
}

/** Returned by a forwarder that handed its item to another reader (which finishes it). */
const PASSED_ON = Symbol('passed-on');

function definedHeaders(headers: Readonly<Record<string, Buffer | string | undefined>>): Headers | undefined {
  let result: Headers | undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) (result ??= {})[name] = value;
  }
  return result;
}

/**
 * The events of a topic as an async iterable of typed values, with operators that return new
 * streams. Iterate it in an agent: an event counts as processed when the loop asks for the next.
 *
 * @example
 * app.agent(rides, async (stream) => {
 *   for await (const ride of stream.filter((r) => r.total_amount > 0)) console.log(ride)
 * })
 */
export class Stream<T, K = unknown> implements AsyncIterable<T> {
  /** @internal */
  constructor(
    private readonly context: StreamContext,
    private readonly channel: Channel,
    private readonly ops: readonly Op[],
    /** The topics this stream reads (for the partition count of derived topics). */
    private readonly sources: readonly Topic[],
  ) {}

  private with<U, K2 = K>(op: Op): Stream<U, K2> {
    return new Stream<U, K2>(this.context, this.channel, [...this.ops, op], this.sources);
  }

  /** Keeps the values for which `predicate` returns true; the others are done at once. */
  filter<S extends T>(predicate: (value: T) => value is S): Stream<S, K>;
  filter(predicate: (value: T) => boolean | Promise<boolean>): Stream<T, K>;
  filter(predicate: (value: T) => boolean | Promise<boolean>): Stream<T, K> {
    return this.with({ kind: 'stage', stage: (item) => predicate(item.value as T) });
  }

  /** Transforms each value; `fn` may be async. */
  map<U>(fn: (value: T) => U | Promise<U>): Stream<Awaited<U>, K> {
    return this.with({
      kind: 'stage',
      stage: (item) => {
        const result = fn(item.value as T);
        if (result instanceof Promise) {
          return result.then((value) => {
            item.value = value;
            return true;
          });
        }
        item.value = result;
        return true;
      },
    });
  }

  /** Values with their key, headers, timestamp and Kafka coordinates. */
  events(): Stream<EventInfo<T, K>, K> {
    return this.with({
      kind: 'stage',
      stage: (item) => {
        const e = item.event;
        const info: EventInfo<T, K> = {
          key: e.key as K,
          value: item.value as T,
          headers: e.headers,
          timestamp: e.timestamp,
          topic: e.topic,
          partition: e.partition,
          offset: e.offset,
        };
        item.value = info;
        return true;
      },
    });
  }

  /** `[key, value]` pairs. */
  items(): Stream<[K, T], K> {
    return this.with({
      kind: 'stage',
      stage: (item) => {
        item.value = [item.event.key, item.value];
        return true;
      },
    });
  }

  /** `[index, value]` pairs, counting from 0 for each iteration. */
  enumerate(): Stream<[number, T], K> {
    let index = 0;
    return this.with({
      kind: 'stage',
      stage: (item) => {
        item.value = [index++, item.value];
        return true;
      },
    });
  }

  /** Batches of up to `max` values; a shorter batch after `withinMs` (default 1000). */
  take(max: number, options: TakeOptions = {}): Stream<T[], K> {
    if (!Number.isInteger(max) || max < 1)
      throw new ConfigError(`take(max): max must be a positive integer, got ${max}`);
    const withinMs = options.withinMs ?? 1000;
    if (!(withinMs > 0)) throw new ConfigError(`take(): withinMs must be positive, got ${withinMs}`);
    return this.with({ kind: 'take', max, withinMs });
  }

  /** Also sends each value (with its key) to these topics, and goes on with the same stream. */
  echo(...topics: Array<Topic<T> | string>): Stream<T, K> {
    const targets = topics.map((t) => (typeof t === 'string' ? this.context.topicNamed(t) : t));
    return this.with({
      kind: 'stage',
      stage: (item) => {
        let waits: Promise<void>[] | undefined;
        for (const topic of targets) {
          const wait = this.sendTo(topic, item.event.key, item);
          if (wait) (waits ??= []).push(wait);
        }
        return waits === undefined ? true : Promise.all(waits).then(() => true);
      },
    });
  }

  /**
   * Sends each value to `topic` and continues with the stream of that topic, so what follows
   * runs where the topic's partitions are assigned.
   */
  through<K2 = K>(topic: Topic<T, K2> | string): Stream<T, K2> {
    const target = (typeof topic === 'string' ? this.context.topicNamed(topic) : topic) as Topic;
    this.forward(`through:${target.name}`, (item) => this.sendTo(target, item.event.key, item));
    return new Stream<T, K2>(this.context, this.context.topicChannel(target), [], [target]);
  }

  /**
   * Re-keys each event by `keyFn` into the repartition topic `<appId>-<name>-repartition`
   * (created with the source's partition count) and continues from it: every event of one key
   * is then handled by the one worker that owns that key's partition.
   */
  groupBy<K2>(keyFn: (value: T) => K2, options: { name: string }): Stream<T, K2> {
    if (!options?.name)
      throw new ConfigError('groupBy(keyFn, { name }): name is required, it names the repartition topic');
    const topic = this.context.repartitionTopic(options.name, this.sources);
    this.forward(`groupBy:${topic.name}`, (item) => this.sendTo(topic, keyFn(item.value as T), item));
    return new Stream<T, K2>(this.context, this.context.topicChannel(topic), [], [topic]);
  }

  /**
   * Routes each event, in one pass, to the first branch whose `when` matches, else to the
   * default branch (the one without `when`, which must come last). Branches with `to` send to
   * a topic (value and key unchanged); the others are returned as sub-streams to iterate.
   *
   * @example
   * stream.branch({
   *   high: { when: (r) => r.total_amount >= 40, to: highTopic },
   *   low: { to: lowTopic },
   * })
   */
  branch<S extends Record<string, BranchSpec<T>>>(spec: S): Branches<S, T, K> {
    const names = Object.keys(spec);
    const entries = names.map((name) => ({ name, ...spec[name] }) as BranchSpec<T> & { name: string });
    const defaults = entries.filter((e) => e.when === undefined);
    if (defaults.length !== 1 || entries[entries.length - 1]?.when !== undefined) {
      throw new ConfigError(
        `branch(): give exactly one default branch (no "when"), as the last entry; got ${defaults.length} in [${names.join(', ')}]`,
      );
    }
    const routes = this.context.memo(`branch:${this.channel.name}:${names.join(',')}`, () =>
      entries.map((e) => ({
        name: e.name,
        when: e.when,
        topic:
          e.to === undefined
            ? undefined
            : typeof e.to === 'string'
              ? this.context.topicNamed(e.to)
              : (e.to as Topic),
        channel: e.to === undefined ? new Channel(`${this.channel.name}/${e.name}`) : undefined,
      })),
    );
    this.forward(
      `branch:${names.join(',')}`,
      (item) => {
        const value = item.value as T;
        const route = routes.find((r) => r.when === undefined || r.when(value))!;
        if (route.topic) return this.sendTo(route.topic, item.event.key, item);
        route.channel!.push([item]);
        return PASSED_ON;
      },
      () => {
        for (const route of routes) route.channel?.close();
      },
    );
    const streams: Record<string, Stream<T, K>> = {};
    for (const route of routes) {
      if (route.channel)
        streams[route.name] = new Stream<T, K>(this.context, route.channel, [], this.sources);
    }
    return streams as Branches<S, T, K>;
  }

  /**
   * Inner join. With a topic and join windows (`app.joinWindows`): each record joins the records
   * of the same key of the other topic within the window (both sides buffered; see
   * docs/joins.md). With a table: each event joins the table's current value for its key (its
   * record key, or `key(value)`: a global table's lookup key, or `{ key, name }` to re-key the
   * stream through a repartition topic first); events with no match are dropped.
   *
   * @example
   * stream.join(pickups, window, (ride, pickup) => ({ ride, pickup }))
   * stream.join(zones, (ride) => ride.PULocationID, (ride, zone) => ({ ...ride, zone: zone.Zone }))
   */
  join<V2, K2, R>(
    other: Topic<V2, K2>,
    windows: JoinWindows<T, V2>,
    joiner: (left: T, right: V2) => R | Promise<R>,
  ): Stream<Awaited<R>, K>;
  join<TK, V2, TR, R>(
    table: Table<TK, V2, TR>,
    joiner: (left: T, right: V2) => R | Promise<R>,
  ): Stream<Awaited<R>, K>;
  join<K2, V2, TR, R>(
    table: Table<K2, V2, TR>,
    key: TableJoinKey<T, K2>,
    joiner: (left: T, right: V2) => R | Promise<R>,
  ): Stream<Awaited<R>, K>;
  join(target: Topic | Table, second: unknown, third?: unknown): Stream<unknown, unknown> {
    return this.joinWith('inner', target, second, third);
  }

  /** Like {@link join}, keeping the left records with no match: the joiner gets `undefined` for them. */
  leftJoin<V2, K2, R>(
    other: Topic<V2, K2>,
    windows: JoinWindows<T, V2>,
    joiner: (left: T, right: V2 | undefined) => R | Promise<R>,
  ): Stream<Awaited<R>, K>;
  leftJoin<TK, V2, TR, R>(
    table: Table<TK, V2, TR>,
    joiner: (left: T, right: V2 | undefined) => R | Promise<R>,
  ): Stream<Awaited<R>, K>;
  leftJoin<K2, V2, TR, R>(
    table: Table<K2, V2, TR>,
    key: TableJoinKey<T, K2>,
    joiner: (left: T, right: V2 | undefined) => R | Promise<R>,
  ): Stream<Awaited<R>, K>;
  leftJoin(target: Topic | Table, second: unknown, third?: unknown): Stream<unknown, unknown> {
    return this.joinWith('left', target, second, third);
  }

  /** A stream-stream join keeping the records of both sides with no match, once their window closed. */
  outerJoin<V2, K2, R>(
    other: Topic<V2, K2>,
    windows: JoinWindows<T, V2>,
    joiner: (left: T | undefined, right: V2 | undefined) => R | Promise<R>,
  ): Stream<Awaited<R>, K> {
    return this.joinWith('outer', other as Topic, windows, joiner) as Stream<Awaited<R>, K>;
  }

  private joinWith(
    kind: JoinKind,
    target: unknown,
    second: unknown,
    third: unknown,
  ): Stream<unknown, unknown> {
    if (target instanceof Table) {
      const table = target as Table<unknown, unknown, unknown>;
      const args = tableJoinArgs(table, second, third);
      if (kind === 'outer')
        throw new ConfigError(`outerJoin(${table}): a stream-table join is inner or left`);
      if (args.key && !table.global) {
        const rekeyed = this.groupBy(args.key as (value: T) => unknown, { name: args.name! });
        return rekeyed.joinWith(kind, table, args.joiner, undefined);
      }
      if (!table.global) requireCopartitioned(`join(${table})`, [...this.sources, table.changelog]);
      return this.with({ kind: 'stage', stage: tableJoinStage(table, kind, args.key, args.joiner) });
    }
    if (!(target instanceof Topic) || !(second instanceof JoinWindows) || typeof third !== 'function') {
      throw new ConfigError(
        'join(other, windows, joiner): other is a topic (or a table), windows come from app.joinWindows(name, options)',
      );
    }
    const windows = second as JoinWindows<unknown, unknown>;
    const joiner = third as (left: unknown, right: unknown) => unknown;
    const other = target as Topic;
    requireCopartitioned(`${windows}`, [...this.sources, other]);
    const output = this.context.memo(`join:${windows.name}`, () => {
      const right = this.context.topicChannel(other);
      this.channel.claimConsumer(this.context.description);
      right.claimConsumer(this.context.description);
      return startStreamJoin({
        context: this.context,
        windows,
        kind,
        joiner,
        left: openSource(this.channel, this.ops, this.context),
        right: openSource(right, [], this.context),
      });
    });
    return new Stream<unknown, unknown>(this.context, output, [], [...this.sources, other]);
  }

  /** Reads the stream to its end (for pipelines that end in `echo`, or to discard). */
  async drain(): Promise<void> {
    for await (const _ of this) {
      // each event is done when the next is pulled
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    this.channel.claimConsumer(this.context.description);
    const source = openSource(this.channel, this.ops, this.context);
    const holder: Holder = { held: [] };
    this.context.track(holder);
    let current: Item | undefined;
    const settle = () => {
      if (current !== undefined) finish(current);
      current = undefined;
      holder.held = [];
    };
    const deliver = (item: Item | undefined): IteratorResult<T> => {
      if (item === undefined) {
        this.channel.releaseConsumer();
        this.context.setCurrent(undefined);
        return { done: true, value: undefined };
      }
      current = item;
      holder.held = item.more === undefined ? [item.event] : [item.event, ...item.more];
      this.context.setCurrent(item.event, item.more);
      return { done: false, value: item.value as T };
    };
    return {
      next: () => {
        try {
          settle();
          // hot path: an item already queued is handed over without another async step
          const ready = source.poll?.();
          if (ready !== undefined) return Promise.resolve(deliver(ready));
        } catch (error) {
          return Promise.reject(error);
        }
        return source.next().then(deliver);
      },
      // on break or throw: what the loop held is settled by the actor (done, or dead-lettered)
      return: async () => {
        current = undefined;
        this.channel.releaseConsumer();
        return { done: true, value: undefined };
      },
    };
  }

  private sendTo(topic: Topic, key: unknown, item: Item): void | Promise<void> {
    return this.context.sender().send({
      topic: topic.name,
      key: topic.encodeKey(key),
      value: topic.encodeValue(item.value),
      timestamp: String(item.event.timestamp),
      headers: definedHeaders(item.event.headers),
      origin: item.event,
    });
  }

  /** Hands this stream's events to a background loop (once per actor, surviving restarts). */
  private forward(
    name: string,
    handle: (item: Item) => void | Promise<void> | typeof PASSED_ON,
    onEnd?: () => void,
  ): void {
    let started = false;
    this.context.memo(`forward:${name}`, () => {
      started = true;
      return true;
    });
    if (!started) return;
    this.channel.claimConsumer(this.context.description);
    const source: ItemSource = openSource(this.channel, this.ops, this.context);
    const context = this.context;
    context.spawn(name, async () => {
      for (let item = await source.next(); item !== undefined; item = await source.next()) {
        try {
          const result = handle(item);
          if (result === PASSED_ON) continue;
          if (result) await result;
        } catch (error) {
          for (const event of eventsOf(item))
            context.deadLetter(event, `${name} failed: ${describeError(error)}`);
        }
        finish(item);
      }
      onEnd?.();
    });
  }
}

export type { StreamEvent };
