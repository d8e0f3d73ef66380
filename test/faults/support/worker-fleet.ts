/**
 * Worker processes under fault injection: started in numbered slots (a slot is one machine: a
 * restarted worker gets its slot's state directory back), killed or stopped on purpose, and
 * watched for what must not happen: an exit nobody asked for, a SIGTERM that does not end in
 * exit 0 within a bound, a stopping worker that rejoins the group or starts recovering, raw stack
 * traces on the output. `FAULT_WORKER_LOG_LEVEL=debug` makes the workers log more.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killAll, spawnApp, type WorkerProcess } from '../../support/processes.js';

export interface FleetWorker {
  readonly slot: number;
  readonly process: WorkerProcess;
  readonly pid: number;
  readonly startedAt: number;
  /** The signal the fleet sent, if it sent one. */
  signal?: 'SIGTERM' | 'SIGKILL';
}

export interface FleetOptions {
  /** Names the directory the workers' output is saved to: `.faults/workers/<name>/`. */
  name: string;
  /** App file, e.g. `test/fixtures/count-app.ts`; run with the `worker` command. */
  app: string;
  env: Record<string, string>;
  /** Environment of one slot, e.g. its own TEST_STATE_DIR. */
  slotEnv?: (slot: number) => Record<string, string>;
  /** How long a SIGTERM may take before it counts as a hang (then the worker is killed). Default 30 s. */
  stopBoundMs?: number;
}

/** Something that must not happen, with the worker's own lines as evidence. */
export interface Incident {
  slot: number;
  pid: number;
  what: string;
  evidence: string[];
}

/** Log messages that mean a worker joined the group or set up state. */
const ACTIVE_MESSAGES =
  /^(partitions assigned|joining the consumer group|worker running|recovering table partition|table partition recovered|standby table partition promoted|following table partition as standby|Restarting the consumer|consumer rejoining)/;
const STOPPING_MESSAGES = /^(signal received: stopping|worker stopping)$/;
const RAW_ERROR = /^\s+at .+:\d+:\d+\)?$|unhandled|uncaught/i;

export class WorkerFleet {
  /** Every worker ever started, in order. */
  readonly workers: FleetWorker[] = [];
  /** Ms from SIGTERM to exit, per SIGTERM sent. */
  readonly stopTimesMs: number[] = [];
  readonly incidents: Incident[] = [];
  /** SIGTERMs that reached a process before it printed anything (ended by the signal, not a fault of the app). */
  terminatedWhileLoading = 0;
  /** Where {@link close} saves the workers' output. */
  readonly logDir: string;
  private readonly stopBoundMs: number;

  constructor(private readonly options: FleetOptions) {
    this.stopBoundMs = options.stopBoundMs ?? 30_000;
    this.logDir = join('.faults', 'workers', options.name);
  }

  start(slot = 0): FleetWorker {
    const level = process.env.FAULT_WORKER_LOG_LEVEL;
    const child = spawnApp(this.options.app, ['worker'], {
      ...(level ? { STROM_LOG_LEVEL: level } : {}),
      ...this.options.env,
      ...this.options.slotEnv?.(slot),
    });
    const worker: FleetWorker = { slot, process: child, pid: child.child.pid ?? -1, startedAt: Date.now() };
    this.workers.push(worker);
    void child.exited.then((code) => {
      if (worker.signal === undefined) this.incident(worker, `exited (${code}) without being signalled`);
    });
    return worker;
  }

  /** The live worker of `slot`, if any. */
  running(slot: number): FleetWorker | undefined {
    return this.workers.find((w) => w.slot === slot && isAlive(w));
  }

  /** SIGKILL, and wait for the process to be gone. */
  async kill(worker: FleetWorker): Promise<void> {
    worker.signal = 'SIGKILL';
    worker.process.child.kill('SIGKILL');
    await worker.process.exited;
  }

  /**
   * SIGTERM and wait for the exit, at most the stop bound (then SIGKILL). An exit other than 0,
   * or none within the bound, is an incident. Returns the ms from signal to exit.
   */
  async terminate(worker: FleetWorker): Promise<number> {
    const signalled = Date.now();
    worker.signal = 'SIGTERM';
    worker.process.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      worker.process.exited,
      new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), this.stopBoundMs))),
    ]);
    clearTimeout(timer);
    const age = `${signalled - worker.startedAt} ms after it started`;
    if (code === 'hung') {
      this.incident(worker, `did not exit within ${this.stopBoundMs} ms of SIGTERM (${age})`);
      worker.process.child.kill('SIGKILL');
      await worker.process.exited;
    } else if (code === 'SIGTERM' && worker.process.lines.length === 0) {
      // still loading its modules: no handler can be installed yet, the signal's default action ends it
      this.terminatedWhileLoading += 1;
    } else if (code !== 0) this.incident(worker, `exited (${code}) after SIGTERM (${age})`);
    const ms = Date.now() - signalled;
    this.stopTimesMs.push(ms);
    return ms;
  }

  /**
   * Workers that, once stopping, logged that they joined the group or set up state again, and
   * workers that printed raw stack traces or unhandled errors.
   */
  lifecycleIncidents(): Incident[] {
    const found: Incident[] = [];
    for (const worker of this.workers) {
      const { lines } = worker.process;
      const stoppingAt = lines.findIndex((l) => STOPPING_MESSAGES.test(messageOf(l) ?? ''));
      if (stoppingAt >= 0) {
        const after = lines.slice(stoppingAt + 1).filter((l) => ACTIVE_MESSAGES.test(messageOf(l) ?? ''));
        if (after.length > 0)
          found.push({
            slot: worker.slot,
            pid: worker.pid,
            what: 'joined the group or recovered state after it began stopping',
            evidence: [lines[stoppingAt]!, ...after.slice(0, 5)],
          });
      }
      const raw = lines.filter((l) => messageOf(l) === undefined && RAW_ERROR.test(l));
      if (raw.length > 0)
        found.push({
          slot: worker.slot,
          pid: worker.pid,
          what: 'printed raw errors',
          evidence: raw.slice(0, 8),
        });
    }
    return found;
  }

  /** Per worker that logged: ms from spawn to its first log line (loading tsx, the app and Strom). */
  loadTimesMs(): number[] {
    const times: number[] = [];
    for (const worker of this.workers) {
      const first = worker.process.lines.find((l) => l.startsWith('{'));
      const time = first === undefined ? undefined : parseLine(first)?.time;
      if (typeof time === 'number') times.push(time - worker.startedAt);
    }
    return times;
  }

  /** Every incident so far, lifecycle ones included, as text for a failure message. */
  report(): string {
    const incidents = [...this.incidents, ...this.lifecycleIncidents()];
    if (incidents.length === 0) return '';
    return [
      ...incidents.map((i) => `worker ${i.pid} (slot ${i.slot}) ${i.what}:\n  ${i.evidence.join('\n  ')}`),
      `(every worker's output: ${this.logDir}/)`,
    ].join('\n');
  }

  /** Kills what still runs and saves every worker's output to `slot<slot>-<pid>.log` in {@link logDir}. */
  async close(): Promise<void> {
    for (const worker of this.workers) if (isAlive(worker)) worker.signal ??= 'SIGKILL';
    await killAll(this.workers.map((w) => w.process));
    mkdirSync(this.logDir, { recursive: true });
    for (const w of this.workers) {
      writeFileSync(join(this.logDir, `slot${w.slot}-${w.pid}.log`), `${w.process.lines.join('\n')}\n`);
    }
  }

  private incident(worker: FleetWorker, what: string): void {
    this.incidents.push({
      slot: worker.slot,
      pid: worker.pid,
      what,
      evidence: worker.process.lines.slice(-15),
    });
  }
}

function isAlive(worker: FleetWorker): boolean {
  const { child } = worker.process;
  return child.exitCode === null && child.signalCode === null;
}

/** A pino JSON line, or undefined for anything else (the banner, raw output). */
function parseLine(line: string): { msg?: unknown; time?: unknown } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as { msg?: unknown; time?: unknown };
  } catch {
    return undefined;
  }
}

/** The `msg` of a pino JSON line, or undefined for anything else. */
function messageOf(line: string): string | undefined {
  const msg = parseLine(line)?.msg;
  return typeof msg === 'string' ? msg : undefined;
}
