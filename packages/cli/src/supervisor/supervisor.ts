import { type ChildProcess, fork } from 'node:child_process';
import type { Logger, WorkerDescription } from '@strom/core';
import { isRunningMessage } from './child-link.js';
import { type ChildOutputOptions, lineSplitter, tagLine } from './child-output.js';
import { DEFAULT_RESTART_POLICY, RestartPolicy, type RestartPolicyOptions } from './restart-policy.js';

/** Exit code of the supervisor when a child process was killed by a signal it did not send. */
const KILLED_EXIT = 1;
/** A second SIGINT/SIGTERM: children exit at once without a clean stop (as a lone worker does). */
const FORCED_EXIT = 130;
/** Signals closer together than this are one (a terminal's Ctrl-C reaches the whole group). */
const SAME_SIGNAL_MS = 1000;

export interface SupervisorOptions {
  /** Worker processes to run. */
  processes: number;
  /** The script each child runs (the CLI or the app file), with Node's flags of this process. */
  script: string;
  /** The child's arguments: this process's command line, with the child's index. */
  argsOf: (index: number) => string[];
  log: Logger;
  output: ChildOutputOptions;
  /** After a stop was asked, children still running this much later are killed. */
  stopTimeoutMs: number;
  restart?: RestartPolicyOptions;
  /** Called once, when every child reported its worker running (with the first one's description). */
  onRunning: (description: WorkerDescription) => void;
}

interface Slot {
  index: number;
  child: ChildProcess | undefined;
  /** The child reported `worker running` (a child that fails before that is not restarted). */
  running: boolean;
  /** A worker of this slot ran once: a crash is restarted, a failed first start is not. */
  everRan: boolean;
  restartTimer: NodeJS.Timeout | undefined;
}

/**
 * Runs N worker processes of one app, as members of its consumer group, and answers for them as
 * one process: it merges their output (each line tagged with the child's index), prints one
 * banner, restarts a child that crashed (exponential backoff, and gives up on a crash loop),
 * forwards SIGINT/SIGTERM, and finishes with one exit code: 0 when every child stopped cleanly,
 * else the code of the child that failed.
 *
 * Every child is a fork of this process's script with `--process-index i`; it keeps its own
 * table state directory (see child-link.ts), so RocksDB partitions never collide.
 *
 * @example
 * const supervisor = new Supervisor({ processes: 2, script: process.argv[1], argsOf, log, ... })
 * supervisor.start()
 * process.exitCode = await supervisor.finished
 */
export class Supervisor {
  private readonly slots: Slot[];
  private readonly policy: RestartPolicy;
  private stopping = false;
  private exitCode = 0;
  private bannerShown = false;
  private firstSignalAt: number | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private resolveFinished!: (code: number) => void;
  /** Resolves with the exit code once every child ended after a stop (or all ended on their own). */
  readonly finished = new Promise<number>((resolve) => {
    this.resolveFinished = resolve;
  });

  constructor(private readonly options: SupervisorOptions) {
    this.policy = new RestartPolicy(options.restart ?? DEFAULT_RESTART_POLICY);
    this.slots = Array.from({ length: options.processes }, (_, index) => ({
      index,
      child: undefined,
      running: false,
      everRan: false,
      restartTimer: undefined,
    }));
  }

  start(): void {
    this.options.log.info({ processes: this.options.processes }, 'starting worker processes');
    for (const slot of this.slots) this.spawn(slot);
  }

  /**
   * SIGINT/SIGTERM stop every child cleanly; a second signal more than a second later makes them
   * exit at once (code 130). Returns a function that removes the handlers.
   */
  handleSignals(): () => void {
    const onSignal = (signal: NodeJS.Signals) => {
      const now = Date.now();
      if (this.firstSignalAt !== undefined) {
        if (now - this.firstSignalAt < SAME_SIGNAL_MS) return;
        this.options.log.warn({ signal }, 'second signal: worker processes exit without a clean stop');
        this.exitCode = FORCED_EXIT;
        this.signalChildren(signal);
        return;
      }
      this.firstSignalAt = now;
      this.options.log.info({ signal }, 'signal received: stopping the worker processes');
      this.stop(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    return () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  }

  /** Stops every child (each commits and leaves the group); `finished` resolves once all ended. */
  stop(signal: NodeJS.Signals = 'SIGTERM', exitCode?: number): void {
    if (exitCode !== undefined && this.exitCode === 0) this.exitCode = exitCode;
    if (this.stopping) return;
    this.stopping = true;
    for (const slot of this.slots) {
      clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
    }
    this.signalChildren(signal);
    this.killTimer = setTimeout(() => {
      this.options.log.warn(
        { stopTimeoutMs: this.options.stopTimeoutMs },
        'worker processes still running after the stop timeout: killing them',
      );
      this.signalChildren('SIGKILL');
    }, this.options.stopTimeoutMs);
    this.killTimer.unref();
    this.finishIfAllEnded();
  }

  /** The process ids of the children running now (for tests and tools). */
  get pids(): number[] {
    return this.slots.flatMap((s) => (s.child?.pid === undefined ? [] : [s.child.pid]));
  }

  private signalChildren(signal: NodeJS.Signals): void {
    for (const slot of this.slots) slot.child?.kill(signal);
  }

  private spawn(slot: Slot): void {
    const { script, argsOf, output } = this.options;
    const child = fork(script, argsOf(slot.index), {
      execArgv: process.execArgv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    slot.child = child;
    slot.running = false;
    const stdout = lineSplitter((line) => process.stdout.write(tagLine(line, slot.index, output)));
    const stderr = lineSplitter((line) => process.stderr.write(tagLine(line, slot.index, output)));
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('message', (message) => {
      if (!isRunningMessage(message)) return;
      slot.running = true;
      slot.everRan = true;
      if (!this.bannerShown && this.slots.every((s) => s.running)) {
        this.bannerShown = true;
        this.options.onRunning(message.description);
      }
    });
    child.on('error', (error) =>
      this.options.log.error({ err: error, process: slot.index }, 'worker process error'),
    );
    // 'close': the process ended and its output is read to the end
    child.on('close', (code, signal) => {
      stdout.end();
      stderr.end();
      this.ended(slot, code, signal);
    });
  }

  private ended(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    const wasRunning = slot.running;
    slot.child = undefined;
    slot.running = false;
    const exit = { process: slot.index, code, signal };
    const failedCode = code ?? KILLED_EXIT;
    if (this.stopping) {
      // a child still loading when the stop came ends by the signal itself: nothing to commit yet
      const stoppedBySignal = signal === 'SIGTERM' || signal === 'SIGINT';
      if (failedCode !== 0 && !stoppedBySignal && this.exitCode === 0) this.exitCode = failedCode;
      this.finishIfAllEnded();
      return;
    }
    if (code === 0) {
      this.options.log.info(exit, 'worker process stopped');
      this.finishIfAllEnded();
      return;
    }
    if (!slot.everRan) {
      this.options.log.error(exit, 'worker process failed before it ran: stopping the others');
      this.stop('SIGTERM', failedCode);
      return;
    }
    const decision = this.policy.onCrash(slot.index, Date.now());
    if (!decision.restart) {
      this.options.log.error(
        { ...exit, crashes: decision.recentCrashes },
        'worker process keeps crashing: giving up, stopping the others',
      );
      this.stop('SIGTERM', failedCode);
      return;
    }
    this.options.log.warn(
      { ...exit, wasRunning, restartInMs: decision.delayMs, crashes: decision.recentCrashes },
      'worker process crashed: restarting it',
    );
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (!this.stopping) this.spawn(slot);
    }, decision.delayMs);
  }

  private finishIfAllEnded(): void {
    if (this.slots.some((s) => s.child !== undefined || s.restartTimer !== undefined)) return;
    clearTimeout(this.killTimer);
    this.resolveFinished(this.exitCode);
  }
}
