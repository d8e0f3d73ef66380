/**
 * Steps of the package checks: commands whose output goes to a log file, bounded in time, failing
 * with one line that says which step failed and why. Every process started here is tracked, so
 * a failure or a deadline stops exactly those.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';

/** A step that failed: `message` is the one line to show, `output` what the command printed. */
export class StepError extends Error {
  override name = 'StepError';

  constructor(
    message: string,
    readonly output = '',
  ) {
    super(message);
  }
}

export interface StepOptions {
  cwd: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** A process running in the background, its output collected as it comes. */
export interface Background {
  readonly pid: number | undefined;
  /** The exit code, or the signal name, once the process ended. */
  readonly exited: Promise<number | string>;
  output(): string;
  /** Resolves once the output matches `pattern`; fails the step if the process ends first or time runs out. */
  waitFor(pattern: RegExp, what: string, timeoutMs: number): Promise<void>;
  /** Sends `signal` and resolves with the exit code (or signal name) once the process ended. */
  stop(signal: NodeJS.Signals, timeoutMs: number): Promise<number | string>;
}

const running = new Set<ChildProcess>();

/** The last non-empty line of some output, to say why a step failed. */
export function lastLine(output: string): string {
  const lines = output.split('\n').filter((l) => l.trim().length > 0);
  return (lines.at(-1) ?? 'no output').trim().slice(0, 300);
}

export class Steps {
  private readonly startedMs = Date.now();

  constructor(private readonly logFile: string) {}

  /** Starts `command`; its output goes to the log file under a `$ command` header. */
  start(command: string, args: readonly string[], options: StepOptions): Background {
    const atSeconds = ((Date.now() - this.startedMs) / 1000).toFixed(1);
    appendFileSync(
      this.logFile,
      `\n[${atSeconds} s] $ (cd ${options.cwd} && ${[command, ...args].join(' ')})\n`,
    );
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let text = '';
    const collect = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      appendFileSync(this.logFile, chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const exited = new Promise<number | string>((resolve) => {
      child.on('error', (error) => {
        collect(Buffer.from(`cannot run ${command}: ${error.message}\n`));
        resolve(-1);
      });
      child.on('close', (code, signal) => {
        running.delete(child);
        resolve(code ?? signal ?? -1);
      });
    });
    let ended: number | string | undefined;
    void exited.then((code) => {
      ended = code;
    });
    return {
      pid: child.pid,
      exited,
      output: () => text,
      waitFor: async (pattern, what, timeoutMs) => {
        const deadline = Date.now() + timeoutMs;
        // polling keeps this simple; the output of these commands is small
        while (!pattern.test(text)) {
          if (ended !== undefined) throw new StepError(`${what}: exited (${ended}): ${lastLine(text)}`);
          if (Date.now() > deadline)
            throw new StepError(`${what}: nothing after ${timeoutMs / 1000} s: ${lastLine(text)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      stop: async (signal, timeoutMs) => {
        if (ended === undefined) child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        const code = await exited;
        clearTimeout(timer);
        return code;
      },
    };
  }

  /** Runs `command` to the end; fails the step (`what`) on a non-zero exit or after `timeoutMs`. */
  async run(what: string, command: string, args: readonly string[], options: StepOptions): Promise<string> {
    const child = this.start(command, args, options);
    const timeoutMs = options.timeoutMs ?? 120_000;
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      void child.stop('SIGKILL', 1000);
    }, timeoutMs);
    const code = await child.exited;
    clearTimeout(timer);
    if (late) throw new StepError(`${what}: still running after ${timeoutMs / 1000} s`);
    if (code !== 0) throw new StepError(`${what}: exit ${code}: ${lastLine(child.output())}`, child.output());
    return child.output();
  }
}

/** Kills every process the steps started that is still running (on failure or at the deadline). */
export function killStarted(): void {
  for (const child of running) child.kill('SIGKILL');
}
