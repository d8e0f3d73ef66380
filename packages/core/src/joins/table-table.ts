import { ConfigError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import type { Table, TableOptions } from '../tables/table.js';
import {
  type AnyTable,
  type MaybePromise,
  reportFailure,
  withCurrent,
  writeDerived,
} from './table-access.js';

/** How a table join treats a key missing on one side. */
export type TableJoinKind = 'inner' | 'left' | 'outer';

/**
 * The joiner of a table join of kind `Kind`: inner joins see both values, left joins a
 * possibly missing right value, outer joins a possibly missing value on either side (never both);
 * a kind known only at run time gets the outer joiner.
 */
export type TableJoiner<K, L, R, J, Kind extends TableJoinKind> = [Kind] extends ['inner']
  ? (left: L, right: R, key: K) => J
  : [Kind] extends ['left']
    ? (left: L, right: R | undefined, key: K) => J
    : (left: L | undefined, right: R | undefined, key: K) => J;

/** Options of `app.tableJoin()`. */
export interface TableJoinOptions<Kind extends TableJoinKind> {
  /** Name of the joined table (its changelog is `<appId>-<name>-changelog`). */
  name: string;
  /** `inner` (default): keys on both sides; `left`: keys of the left table; `outer`: keys of either. */
  kind?: Kind;
  /** Store of the joined table (default: the app's). */
  store?: TableOptions<unknown, unknown>['store'];
}

/**
 * The joined value of a key from both sides' stored values, by the definition of each kind;
 * undefined: the key is not in the joined table.
 */
export function joinedValue<K, L, R, J>(
  kind: TableJoinKind,
  joiner: (left: L | undefined, right: R | undefined, key: K) => J,
  key: K,
  left: L | undefined,
  right: R | undefined,
): J | undefined {
  const present =
    kind === 'inner'
      ? left !== undefined && right !== undefined
      : kind === 'left'
        ? left !== undefined
        : left !== undefined || right !== undefined;
  return present ? joiner(left, right, key) : undefined;
}

/** What a table join needs from its app. */
export interface TableJoinHost {
  readonly log: Logger;
  /** Declares the joined table; its changelog takes the partition count of both sides' changelogs. */
  derivedTable<K, V>(
    name: string,
    options: TableOptions<K, V>,
    sources: ReadonlyArray<AnyTable<unknown, unknown>>,
  ): Table<K, V, V | undefined>;
}

/**
 * A table whose value for a key follows both sides' current values for that key (Kafka
 * Streams' KTable-KTable join). Every write to either side through `set`/`delete`/`update`
 * recomputes the key in the partition of the event that wrote it, so both sides and the
 * joined table must be co-partitioned (checked at start: equal partition counts).
 */
export class TableJoin<K, L, R, J> {
  readonly table: Table<K, J, J | undefined>;
  private readonly log: Logger;

  constructor(
    host: TableJoinHost,
    readonly left: AnyTable<K, L>,
    readonly right: AnyTable<K, R>,
    private readonly joiner: (left: L | undefined, right: R | undefined, key: K) => J,
    readonly kind: TableJoinKind,
    options: { name: string; store?: TableJoinOptions<TableJoinKind>['store'] },
  ) {
    for (const side of [left, right]) {
      if (side.global)
        throw new ConfigError(
          `table join ${options.name}: ${side} is global; join a global table from a stream instead`,
        );
      if (side.windowKind !== undefined)
        throw new ConfigError(`table join ${options.name}: ${side} is windowed; join plain tables`);
    }
    if ((left as unknown) === right)
      throw new ConfigError(`table join ${options.name}: a table cannot join itself`);
    this.log = host.log.child({ join: options.name });
    this.table = host.derivedTable<K, J>(options.name, { store: options.store }, [
      left as AnyTable<unknown, unknown>,
      right as AnyTable<unknown, unknown>,
    ]);
    left.onChange((key, value) => reportFailure(this.log, options.name, this.leftChanged(key, value)));
    right.onChange((key, value) => reportFailure(this.log, options.name, this.rightChanged(key, value)));
  }

  private leftChanged(key: K, value: L | undefined): MaybePromise<void> {
    return withCurrent(this.right, key, (right) => this.write(key, value, right));
  }

  private rightChanged(key: K, value: R | undefined): MaybePromise<void> {
    return withCurrent(this.left, key, (left) => this.write(key, left, value));
  }

  private write(key: K, left: L | undefined, right: R | undefined): void | Promise<void> {
    return writeDerived(this.table, key, joinedValue(this.kind, this.joiner, key, left, right));
  }
}
