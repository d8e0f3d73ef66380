/**
 * Every error Strom throws on purpose is a {@link StromError}: it has a stable `code` and,
 * where it concerns a record, the Kafka coordinates. Check with {@link isStromError}, which
 * survives two copies of the package in one process (unlike `instanceof`).
 */
import type { OutRecord } from '../transport/types.js';

const STROM_ERROR = Symbol.for('strom.error');

export type StromErrorCode =
  | 'CONFIG'
  | 'ENCODE'
  | 'TOPIC'
  | 'AGENT'
  | 'BROKER'
  | 'REFUSED'
  | 'NOT_RUNNING'
  | 'USAGE'
  | 'STORE'
  | 'SCHEMA';

export interface RecordCoordinates {
  topic?: string;
  partition?: number;
  offset?: string;
}

export class StromError extends Error {
  readonly [STROM_ERROR] = true;
  readonly code: StromErrorCode;
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  readonly offset: string | undefined;

  constructor(code: StromErrorCode, message: string, options: RecordCoordinates & { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StromError';
    this.code = code;
    this.topic = options.topic;
    this.partition = options.partition;
    this.offset = options.offset;
  }
}

/** Bad settings or arguments: the message says what to change. */
export class ConfigError extends StromError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CONFIG', message, options);
    this.name = 'ConfigError';
  }
}

/** A record the broker cannot write, and why. */
export interface RefusedRecord {
  record: OutRecord;
  reason: string;
}

/**
 * The broker refused records for what they are — too large, invalid, for a topic or partition
 * that does not exist — not for a passing condition: sending them again fails again.
 */
export class RecordsRefusedError extends StromError {
  /**
   * The refused records, when known one by one (the others of the request were not written and
   * can be sent again). Undefined when the broker refused the request as a whole: any of its
   * records may be the cause, and those of other partitions may have been written.
   */
  readonly refused: readonly RefusedRecord[] | undefined;

  constructor(message: string, options: { refused?: readonly RefusedRecord[]; cause?: unknown } = {}) {
    super('REFUSED', message, { cause: options.cause });
    this.name = 'RecordsRefusedError';
    this.refused = options.refused;
  }
}

/** True for a {@link RecordsRefusedError} (of any copy of the package). */
export function isRecordsRefused(error: unknown): error is RecordsRefusedError {
  return isStromError(error) && error.code === 'REFUSED';
}

export function isStromError(error: unknown): error is StromError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { [STROM_ERROR]?: unknown })[STROM_ERROR] === true
  );
}

/** One line for logs and dead-letter headers, whatever was thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
