import { availableParallelism } from 'node:os';
import type { App } from '@strom/core';
import { formatBanner } from '@strom/core/cli-support';
import { UsageError } from '../errors.js';
import { Supervisor } from './supervisor.js';

/** Beyond the children's own stop timeout: their exit grace and the time to leave the group. */
const STOP_MARGIN_MS = 5000;

/** `--processes` or the `workerProcesses` setting as a count: `auto` is one per CPU core. */
export function resolveProcesses(value: number | string): number {
  if (value === 'auto') return availableParallelism();
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--processes must be a whole number of at least 1, or auto (got ${String(value)})`);
  return n;
}

/**
 * `strom worker --processes N` in the parent: runs N children (this same command line with
 * `--process-index i`), prints one banner when all run, and resolves with the exit code.
 */
export async function runSupervised(app: App, processes: number, argv: readonly string[]): Promise<number> {
  const script = process.argv[1];
  if (script === undefined) throw new UsageError('--processes needs a script to run again (process.argv[1])');
  const format = app.settings.logFormat;
  const tty = process.stdout.isTTY === true;
  const supervisor = new Supervisor({
    processes,
    script,
    argsOf: (index) => [...argv, '--process-index', String(index)],
    log: app.log.child({ component: 'supervisor' }),
    output: {
      json: format === 'json' || (format === 'auto' && !tty),
      color: tty && !process.env.NO_COLOR,
    },
    stopTimeoutMs: app.settings.shutdownTimeoutMs + STOP_MARGIN_MS,
    onRunning: (description) =>
      process.stdout.write(`${formatBanner(description)}\n  processes: ${processes}\n`),
  });
  // kept until the process ends: a signal relayed late must not kill it by default action
  supervisor.handleSignals();
  // a hook for a per-worker web server (not on main yet): child i would listen on port + i
  supervisor.start();
  return supervisor.finished;
}
