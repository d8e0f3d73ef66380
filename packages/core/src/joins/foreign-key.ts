import { ConfigError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import type { RecordSender } from '../producer/buffered-producer.js';
import { currentEvent } from '../streams/current-event.js';
import type { Stream } from '../streams/stream.js';
import type { Table, TableOptions } from '../tables/table.js';
import type { Topic } from '../topics/topic.js';
import {
  type AnyTable,
  type MaybePromise,
  reportFailure,
  sameKey,
  withCurrent,
  writeDerived,
} from './table-access.js';
import type { TableJoinHost } from './table-table.js';

/** Foreign-key joins are inner or left (as in Kafka Streams). */
export type ForeignKeyJoinKind = 'inner' | 'left';

/** The joiner of a foreign-key join: a left join sees a possibly missing right value. */
export type ForeignKeyJoiner<K, L, R, J, Kind extends ForeignKeyJoinKind> = [Kind] extends ['inner']
  ? (left: L, right: R, key: K) => J
  : (left: L, right: R | undefined, key: K) => J;

/** Options of `app.foreignKeyJoin()`. */
export interface ForeignKeyJoinOptions<Kind extends ForeignKeyJoinKind> {
  /** Name of the joined table; also prefixes the join's internal tables and topics. */
  name: string;
  /** `inner` (default): left rows whose foreign key has a right row; `left`: every left row. */
  kind?: Kind;
  /** Store of the joined table and of the join's state (default: the app's). */
  store?: TableOptions<unknown, unknown>['store'];
}

/** Left side's state per left key: its foreign key, and the right value last answered for it. */
export interface ForeignKeyState<F, R> {
  fk: F;
  /** True once a response for `fk` arrived; `right` is then the right value it carried. */
  answered: boolean;
  right?: R;
}

/** A left row subscribes to (or leaves) a right key; `partition` is where the left row lives. */
export interface SubscriptionMessage<K> {
  op: 'subscribe' | 'unsubscribe';
  key: K;
  partition: number;
}

/** The right value of `fk` for the left row `key` (`found` false: no right row). */
export interface ResponseMessage<K, F, R> {
  key: K;
  fk: F;
  found: boolean;
  right?: R;
}

/** What a foreign-key join needs from its app. */
export interface ForeignKeyJoinHost extends TableJoinHost {
  /** Declares an internal JSON topic `<appId>-<name>` co-partitioned with `source`'s changelog. */
  internalTopic<V, K>(name: string, source: AnyTable<unknown, unknown>): Topic<V, K>;
  /** Declares an agent of the app (the join's subscription and response handlers). */
  joinAgent<V, K>(topic: Topic<V, K>, name: string, fn: (stream: Stream<V, K>) => Promise<void>): void;
  sender(): RecordSender;
}

/**
 * Kafka Streams' foreign-key table join (`KTable.join(other, foreignKeyExtractor, joiner)`):
 * each left row joins the right row whose key its foreign key names. The two tables need not
 * be co-partitioned; the join talks between their partitions through two internal topics:
 *
 * 1. A left write sends `subscribe` for the row's foreign key (and `unsubscribe` for the old one
 *    when it changed) to `<appId>-<name>-subscription`, keyed by the foreign key, so it lands in
 *    the right table's partition of that key.
 * 2. There the subscription handler records the left key in `<name>-subscribers` (foreign key →
 *    left keys) and answers with the right row's current value on `<appId>-<name>-response`, to
 *    the left row's partition; every later write of that right row answers every subscriber.
 * 3. The response handler keeps the answer in `<name>-fk` (left key → foreign key and last right
 *    value) unless the row moved to another foreign key meanwhile (a stale answer), and writes
 *    the joined value. A left write whose foreign key did not change joins the kept right value
 *    at once.
 *
 * The state tables have changelogs, so a worker that takes a partition over recovers them.
 */
export class ForeignKeyJoin<K, L, F, R, J> {
  readonly table: Table<K, J, J | undefined>;
  private readonly state: Table<K, ForeignKeyState<F, R>, ForeignKeyState<F, R> | undefined>;
  private readonly subscribers: Table<F, Array<[K, number]>, Array<[K, number]> | undefined>;
  private readonly subscriptions: Topic<SubscriptionMessage<K>, F>;
  private readonly responses: Topic<ResponseMessage<K, F, R>, K>;
  private readonly log: Logger;

  constructor(
    private readonly host: ForeignKeyJoinHost,
    readonly left: AnyTable<K, L>,
    readonly right: AnyTable<F, R>,
    private readonly foreignKey: (value: L, key: K) => F | undefined | null,
    private readonly joiner: (left: L, right: R | undefined, key: K) => J,
    readonly kind: ForeignKeyJoinKind,
    options: { name: string; store?: ForeignKeyJoinOptions<ForeignKeyJoinKind>['store'] },
  ) {
    const name = options.name;
    for (const side of [left, right]) {
      if (side.global)
        throw new ConfigError(
          `foreign-key join ${name}: ${side} is global; read it from the left table's agent instead`,
        );
      if (side.windowKind !== undefined)
        throw new ConfigError(`foreign-key join ${name}: ${side} is windowed; join plain tables`);
    }
    this.log = host.log.child({ join: name });
    const leftSide = [left as AnyTable<unknown, unknown>];
    const rightSide = [right as AnyTable<unknown, unknown>];
    this.table = host.derivedTable<K, J>(name, { store: options.store }, leftSide);
    this.state = host.derivedTable(`${name}-fk`, { store: options.store }, leftSide);
    this.subscribers = host.derivedTable(`${name}-subscribers`, { store: options.store }, rightSide);
    this.subscriptions = host.internalTopic(`${name}-subscription`, right as AnyTable<unknown, unknown>);
    this.responses = host.internalTopic(`${name}-response`, left as AnyTable<unknown, unknown>);
    host.joinAgent(this.subscriptions, `${name}-subscriptions`, async (stream) => {
      for await (const event of stream.events()) await this.subscriptionArrived(event.key, event.value);
    });
    host.joinAgent(this.responses, `${name}-responses`, async (stream) => {
      for await (const response of stream) await this.responseArrived(response);
    });
    left.onChange((key, value) => reportFailure(this.log, name, this.leftChanged(key, value)));
    right.onChange((key, value) => reportFailure(this.log, name, this.rightChanged(key, value)));
  }

  /** Step 1: a left row changed (value undefined: deleted). */
  private leftChanged(key: K, value: L | undefined): MaybePromise<void> {
    const fk = value === undefined ? undefined : (this.foreignKey(value, key) ?? undefined);
    return withCurrent(this.state, key, (state) => {
      const waits: Array<void | Promise<void>> = [];
      const unchanged = state !== undefined && fk !== undefined && sameKey(state.fk, fk);
      if (state !== undefined && !unchanged) waits.push(this.subscribe('unsubscribe', state.fk, key));
      if (fk === undefined) {
        // no foreign key (or no row): nothing to ask the right side
        if (state !== undefined) waits.push(this.state.delete(key));
        waits.push(this.writeJoined(key, value, undefined));
      } else if (unchanged) {
        // the kept answer is current: every write of the right row since answered this key
        if (state.answered) waits.push(this.writeJoined(key, value, state.right));
      } else {
        // the joined value waits for the new foreign key's answer (no spurious result meanwhile)
        waits.push(this.state.set(key, { fk, answered: false }));
        waits.push(this.subscribe('subscribe', fk, key));
      }
      return settle(waits);
    });
  }

  /** Step 2a: a subscription arrived in the right table's partition of `fk`. */
  private async subscriptionArrived(fk: F, message: SubscriptionMessage<K>): Promise<void> {
    const current = (await this.subscribers.current(fk)) ?? [];
    const others = current.filter(([key]) => !sameKey(key, message.key));
    if (message.op === 'unsubscribe') {
      if (others.length === current.length) return;
      await (others.length > 0 ? this.subscribers.set(fk, others) : this.subscribers.delete(fk));
      return;
    }
    await this.subscribers.set(fk, [...others, [message.key, message.partition]]);
    // read and answer in one step, so answers leave in the order of the right row's writes
    await withCurrent(this.right, fk, (right) => this.respond(message.key, message.partition, fk, right));
  }

  /** Step 2b: a right row changed: answer every left row subscribed to it. */
  private rightChanged(fk: F, value: R | undefined): MaybePromise<void> {
    return withCurrent(this.subscribers, fk, (subscribed) =>
      settle((subscribed ?? []).map(([key, partition]) => this.respond(key, partition, fk, value))),
    );
  }

  /** Step 3: an answer arrived in the left row's partition. */
  private responseArrived(response: ResponseMessage<K, F, R>): MaybePromise<void> {
    const { key, fk } = response;
    // the row moved to another foreign key (or went) since it asked: a newer answer follows
    const stale = (state: ForeignKeyState<F, R> | undefined) => state === undefined || !sameKey(state.fk, fk);
    return withCurrent(this.state, key, (state) => {
      if (stale(state)) return;
      return withCurrent(this.left, key, (left) => {
        // checked again: the row may have moved while the left value was read from the store
        const now = this.state.peekCurrent(key);
        if (now.found && stale(now.value)) return;
        const right = response.found ? response.right : undefined;
        return settle([
          this.state.set(key, { fk, answered: true, right }),
          this.writeJoined(key, left, right),
        ]);
      });
    });
  }

  private writeJoined(key: K, left: L | undefined, right: R | undefined): void | Promise<void> {
    const present = left !== undefined && (this.kind === 'left' || right !== undefined);
    return writeDerived(this.table, key, present ? this.joiner(left, right, key) : undefined);
  }

  private subscribe(op: SubscriptionMessage<K>['op'], fk: F, key: K): void | Promise<void> {
    const origin = currentEvent();
    return this.host.sender().send({
      topic: this.subscriptions.name,
      key: this.subscriptions.encodeKey(fk),
      value: this.subscriptions.encodeValue({ op, key, partition: origin?.partition ?? 0 }),
      origin,
    });
  }

  private respond(key: K, partition: number, fk: F, right: R | undefined): void | Promise<void> {
    const message: ResponseMessage<K, F, R> =
      right === undefined ? { key, fk, found: false } : { key, fk, found: true, right };
    return this.host.sender().send({
      topic: this.responses.name,
      partition,
      key: this.responses.encodeKey(key),
      value: this.responses.encodeValue(message),
      origin: currentEvent(),
    });
  }
}

/** One promise for the writes that returned one, or nothing when none did. */
function settle(waits: ReadonlyArray<void | Promise<void>>): void | Promise<void> {
  const pending = waits.filter((w): w is Promise<void> => w !== undefined);
  if (pending.length > 0) return Promise.all(pending).then(() => undefined);
}
