/** Windowed tables' pure logic: window kinds, closing and expiry, keys, aggregations. See README.md. */
export type { AccumulatorOf, Aggregator, MeanAccumulator, ResultOf } from './aggregates.js';
export { aggregate, count, max, mean, min, reduce, sum } from './aggregates.js';
export type {
  TrackedWindow,
  WindowPolicy,
  WindowPolicyOptions,
  WindowTransitions,
} from './closing.js';
export {
  closesAtMs,
  DEFAULT_EXPIRES_MS,
  expiresAtMs,
  isLate,
  isWindowClosed,
  minExpiresMs,
  NO_STREAM_TIME,
  WindowTracker,
  windowPolicy,
} from './closing.js';
export type { EventTimeOptions, TimedRecord } from './event-time.js';
export { eventTime } from './event-time.js';
export type { RangeMatch, WindowedKey } from './key.js';
export {
  decodeWindowedKey,
  encodeWindowedKey,
  scanWindows,
  tryDecodeWindowedKey,
  windowKeyPrefix,
} from './key.js';
export type { SessionInput, SessionMerge, SessionUpdate, WindowAggregate } from './session.js';
export {
  applySession,
  isSessionClosed,
  lastRecordMs,
  mergeSessions,
  sessionAccepts,
  sessionSearchRange,
} from './session.js';
export type {
  SlidingCreate,
  SlidingInput,
  SlidingPlan,
  SlidingUpdate,
  SlidingWindowState,
  StoredSlidingWindow,
} from './sliding.js';
export { applySliding, planSliding, slidingSearchRange, slidingWindowOf } from './sliding.js';
export type { TimeWindowAssignment } from './time-windows.js';
export { assignTimeWindows, hoppingWindowsFor, tumblingWindowFor, windowsFor } from './time-windows.js';
export type {
  HoppingWindows,
  SessionWindows,
  SlidingWindows,
  TimeWindow,
  TimeWindowSpec,
  TumblingWindows,
  WindowSpec,
} from './window.js';
export {
  compareWindows,
  hopping,
  sameWindow,
  session,
  sliding,
  timeWindow,
  tumbling,
  windowContains,
  windowsOverlap,
} from './window.js';
