import { describeError } from '../errors/errors.js';
import type { Worker } from './worker.js';

/** Exit codes of a worker process besides 0 (clean stop) and 1 (stopped by an error). */
export const PROCESS_EXIT = {
  /** An error nobody handled (a bug, in Strom or in agent code outside an event): sysexits' EX_SOFTWARE. */
  unhandled: 70,
  /** A second Ctrl-C / SIGTERM: exit at once, without a clean stop (128 + SIGINT). */
  forced: 130,
} as const;

/**
 * Signals closer together than this are one: under `tsx app.ts worker` a Ctrl-C reaches the
 * app twice (the terminal signals the whole process group, and tsx relays it to its child).
 */
const SAME_SIGNAL_MS = 1000;

/**
 * SIGINT/SIGTERM stop the worker gracefully (finish in-flight events, commit, leave the group);
 * a second signal (more than a second later) exits at once, and a signal after the worker
 * stopped exits with the worker's exit code. `worker` may be a function, for a worker not
 * created yet: a signal before it exists exits 0 at once (nothing to stop).
 * Returns a function that removes the handlers.
 */
export function stopOnSignals(worker: Worker | (() => Worker | undefined)): () => void {
  const current = typeof worker === 'function' ? worker : () => worker;
  let firstAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    const target = current();
    if (target === undefined) process.exit(0);
    // the stop is done and the process is on its way out: a late (relayed) signal changes nothing
    if (target.exitCode !== undefined) process.exit(target.exitCode);
    const now = Date.now();
    if (firstAt !== undefined) {
      if (now - firstAt < SAME_SIGNAL_MS) return;
      target.log.warn({ signal }, 'second signal: exiting without a clean stop');
      process.exit(PROCESS_EXIT.forced);
    }
    firstAt = now;
    target.log.info({ signal }, 'signal received: stopping');
    void target.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/**
 * Turns an unhandled promise rejection or uncaught exception into one structured log line and
 * a clean stop of the worker, which then finishes with exit code 70 — never a raw Node crash
 * with a stack trace on stderr. Returns a function that removes the handlers.
 */
export function stopOnUnhandledErrors(worker: Worker): () => void {
  const onError = (error: unknown, kind: string) => {
    worker.log.fatal({ err: error, kind }, `${kind}: ${describeError(error)}; stopping the worker`);
    void worker.abort(error, PROCESS_EXIT.unhandled);
  };
  const onRejection = (reason: unknown) => onError(reason, 'unhandled rejection');
  const onException = (error: Error) => onError(error, 'uncaught exception');
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
