/**
 * A benchmarked program as a child process: its `@@bench {json}` lines, its log file, its peak
 * RSS (VmHWM from /proc), and a stop that always ends it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { type CpuSnapshot, cpuSnapshot, descendants } from './cpu.js';

export interface ProgramSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/** Processes started and not yet gone, for the harness to stop on Ctrl-C. */
export const liveProcesses = new Set<SystemProcess>();

export class SystemProcess {
  private readonly child: ChildProcess;
  private readonly log: WriteStream;
  private readonly reports: Array<Record<string, unknown>> = [];
  private listeners: Array<() => void> = [];
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private lastHwmKb = 0;
  /** CPU counters when the first-record report arrived: the start of the timed part. */
  atFirst: CpuSnapshot | undefined;
  /** When the process was spawned, ms since the epoch. */
  readonly startedAt = Date.now();

  constructor(
    spec: ProgramSpec,
    readonly logFile: string,
    /** The broker's process, to tell its CPU use from the system's and everyone else's. */
    private readonly brokerPid?: number,
  ) {
    this.log = createWriteStream(logFile);
    this.log.write(`$ ${spec.command} ${spec.args.join(' ')}   (cwd ${spec.cwd})\n`);
    this.child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    liveProcesses.add(this);
    // reports may come on either stream: Faust's worker routes stdout through its logger (stderr)
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        const at = line.indexOf('@@bench ');
        if (at >= 0) {
          try {
            const report = JSON.parse(line.slice(at + '@@bench '.length)) as Record<string, unknown>;
            if ('first' in report) this.atFirst ??= this.cpuSnapshot();
            this.reports.push(report);
          } catch {
            // a torn line: ignore it, the log has it
          }
          this.notify();
        }
        this.log.write(`${line}\n`);
      });
    }
    this.child.on('exit', (code, signal) => {
      this.exit = { code, signal };
      liveProcesses.delete(this);
      this.log.write(`[bench] exited: code ${code} signal ${signal}\n`);
      this.notify();
    });
    this.child.on('error', (error) => {
      this.exit = { code: null, signal: null };
      liveProcesses.delete(this);
      this.log.write(`[bench] could not start: ${String(error)}\n`);
      this.notify();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The first reported value of `field` (e.g. "first", "ready"), if reported yet. */
  reported(field: string): number | undefined {
    for (const r of this.reports) {
      const value = r[field];
      if (typeof value === 'number') return value;
    }
    return undefined;
  }

  /** Every reported value of `field`, in the order reported (one per worker process). */
  reportedAll(field: string): number[] {
    return this.reports.flatMap((r) => {
      const value = r[field];
      return typeof value === 'number' ? [value] : [];
    });
  }

  get exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.exit;
  }

  /** Resolves on the next report or exit, or after `ms`. */
  async changed(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.listeners.push(resolve)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
    clearTimeout(timer);
  }

  /**
   * Peak resident set size so far in MiB (VmHWM of /proc/<pid>/status: the kernel's high-water
   * mark of the process's RSS), summed with its live descendants' (the worker processes of
   * `strom --processes N`), or undefined when unreadable (not Linux, or already gone).
   */
  peakRssMb(): number | undefined {
    if (this.pid === undefined) return undefined;
    let sumKb = 0;
    for (const pid of [this.pid, ...descendants(this.pid)]) {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
        if (match) sumKb += Number(match[1]);
      } catch {
        // gone
      }
    }
    this.lastHwmKb = Math.max(this.lastHwmKb, sumKb);
    return this.lastHwmKb > 0 ? this.lastHwmKb / 1024 : undefined;
  }

  /** CPU counters of the machine, the broker and this process now. */
  cpuSnapshot(): CpuSnapshot {
    return cpuSnapshot(this.exit === undefined ? this.pid : undefined, this.brokerPid);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 15_000): Promise<void> {
    this.peakRssMb();
    if (this.exit === undefined && this.child.pid !== undefined) {
      this.child.kill('SIGTERM');
      const deadline = Date.now() + graceMs;
      while (this.exit === undefined && Date.now() < deadline) await this.changed(100);
      if (this.exit === undefined) {
        this.log.write('[bench] no exit after SIGTERM: SIGKILL\n');
        this.child.kill('SIGKILL');
        while (this.exit === undefined) await this.changed(100);
      }
    }
    await new Promise<void>((resolve) => this.log.end(resolve));
  }

  private notify(): void {
    const listeners = this.listeners;
    this.listeners = [];
    for (const l of listeners) l();
  }
}
