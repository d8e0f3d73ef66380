import { isStromError } from '@strom/core';
import { describeError } from '@strom/core/cli-support';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A problem with what the user typed: one line, says what to fix, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A command that cannot go on (not a usage problem): one line, exit code 1. */
export class CommandError extends Error {
  override name = 'CommandError';
}

const CONNECTION_ERRORS = [
  'KafkaJSConnectionError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
];

function isConnectionError(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (CONNECTION_ERRORS.includes(e.name) || /ECONNREFUSED|ENOTFOUND|Connection timeout/.test(e.message))
      return true;
  }
  return false;
}

/** One line for the terminal, and the exit code that goes with it. */
export function explain(error: unknown, brokers: readonly string[]): { message: string; code: number } {
  if (error instanceof UsageError) {
    return {
      message: error.message,
      code: error.name === 'UnreachableBrokerError' ? EXIT.failure : EXIT.usage,
    };
  }
  if (error instanceof CommandError) return { message: error.message, code: EXIT.failure };
  if (isStromError(error) && error.code === 'CONFIG') return { message: error.message, code: EXIT.usage };
  // schema registry errors say which registry and why; their causes are not Kafka's
  if (isStromError(error) && (error.code === 'SCHEMA' || error.code === 'ENCODE'))
    return { message: error.message, code: EXIT.failure };
  if (isConnectionError(error)) {
    return {
      message: `cannot reach Kafka at ${brokers.join(',')}: start a broker (pnpm kafka start) or pass --broker host:port`,
      code: EXIT.failure,
    };
  }
  return { message: describeError(error), code: EXIT.failure };
}
