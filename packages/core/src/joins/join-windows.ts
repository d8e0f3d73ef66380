import { ConfigError, describeError } from '../errors/errors.js';
import type { Store } from '../stores/types.js';
import type { Table } from '../tables/table.js';
import { checkJoinWindow, type JoinWindowSpec } from './join-buffer.js';

/** The event time of a value (ms or Date); null or undefined: the record timestamp. */
export type JoinTimestamp<V> = (value: V) => number | Date | null | undefined;

/** Options of `app.joinWindows(name, options)`. Durations are whole ms. */
export interface JoinWindowOptions<L = unknown, R = unknown> {
  /** Records of both sides join when their times differ by at most this (before = after = within). */
  withinMs?: number;
  /** A right record may be this much older than the left one (default: withinMs). */
  beforeMs?: number;
  /** A right record may be this much newer than the left one (default: withinMs). */
  afterMs?: number;
  /** How far behind stream time a record may arrive and still join (default 0). */
  graceMs?: number;
  /** Where the buffered records live: the app's store by default. */
  store?: 'memory' | 'rocksdb' | Store;
  /** Event time of each side's values; default: the record timestamp. */
  timestamp?: { left?: JoinTimestamp<L>; right?: JoinTimestamp<R> };
}

/**
 * The window of a stream-stream join and the table that buffers both sides, declared on the app
 * (Kafka Streams' `JoinWindows` with `StreamJoined.as(name)`): a left record at time t joins the
 * right records of its key whose time is in [t - beforeMs, t + afterMs]. The buffer is the table
 * `<name>-join` with the changelog `<appId>-<name>-join-changelog`, recovered like any table.
 *
 * @example
 * const window = app.joinWindows('ride-pickups', { withinMs: 10 * 60_000, graceMs: 60_000 })
 * // or with event times from the values: app.joinWindows<Ride, Pickup>(name, { ..., timestamp: { left: (r) => r.at } })
 * app.agent(rides, async (stream) => {
 *   for await (const pair of stream.join(pickups, window, (ride, pickup) => ({ ride, pickup }))) {}
 * })
 */
export class JoinWindows<L = unknown, R = unknown> {
  readonly spec: JoinWindowSpec;
  /** Records dropped because they came after their window and grace closed (this process, since start). */
  lateRecords = 0;
  /** @internal event time of each side */
  readonly timestamp: { left?: JoinTimestamp<L>; right?: JoinTimestamp<R> };

  /** @internal use `app.joinWindows()` */
  constructor(
    readonly name: string,
    options: JoinWindowOptions<L, R>,
    /** The table that buffers both sides. */
    readonly table: Table<unknown, unknown>,
  ) {
    const within = options.withinMs;
    const beforeMs = options.beforeMs ?? within;
    const afterMs = options.afterMs ?? within;
    if (beforeMs === undefined || afterMs === undefined)
      throw new ConfigError(`joinWindows("${name}"): give withinMs, or both beforeMs and afterMs`);
    this.spec = { beforeMs, afterMs, graceMs: options.graceMs ?? 0 };
    this.timestamp = options.timestamp ?? {};
    try {
      checkJoinWindow(this.spec);
    } catch (error) {
      throw new ConfigError(`joinWindows("${name}"): ${describeError(error).replace(/^RangeError: /, '')}`);
    }
  }

  toString(): string {
    return `join ${this.name}`;
  }
}

/** The name of the buffer table of the join windows called `name`. */
export function joinTableName(name: string): string {
  return `${name}-join`;
}
