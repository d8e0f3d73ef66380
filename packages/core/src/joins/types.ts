/**
 * Shared vocabulary of joins: which results a join keeps, and the joiner that builds them.
 */

/** `inner`: matches only; `left`: every left record, matched or not; `outer`: every record of both sides. */
export type JoinKind = 'inner' | 'left' | 'outer';

/** What the right side of a join gives the joiner: possibly undefined for left and outer joins. */
export type JoinedRight<V, Kind extends JoinKind> = Kind extends 'inner' ? V : V | undefined;

/** What the left side gives the joiner: possibly undefined only in an outer join. */
export type JoinedLeft<V, Kind extends JoinKind> = Kind extends 'outer' ? V | undefined : V;

/** Builds one result from a left and a right value (sync or async). */
export type Joiner<L, R, Out> = (left: L, right: R) => Out | Promise<Out>;
