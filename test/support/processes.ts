/**
 * Real worker processes for crash and scaling tests: spawn an app file with tsx, watch its
 * output, signal or kill it. Workers get `STROM_BROKER` from `KAFKA_BROKERS`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Every line the process printed so far (stdout and stderr). */
  readonly lines: string[];
  /** Resolves with the first line matching `pattern` (already printed or to come). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or the signal name) once the process ended. */
  readonly exited: Promise<number | string>;
}

/** Starts `node --import tsx <file> ...args` from the repo root, sources of @strom/* included. */
export function spawnApp(file: string, args: string[], env: Record<string, string> = {}): WorkerProcess {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', file, ...args], {
    cwd: ROOT,
    env: { ...process.env, STROM_BROKER: process.env.KAFKA_BROKERS ?? '', STROM_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.length === 0) continue;
      lines.push(line);
      for (const l of listeners) l(line);
      if (process.env.SHOW_WORKER_OUTPUT) process.stderr.write(`[${child.pid}] ${line}\n`);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  const waitFor = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const found = lines.find((l) => pattern.test(l));
      if (found) return resolve(found);
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(
          new Error(
            `no line matching ${pattern} within ${timeoutMs} ms; last lines:\n${lines.slice(-20).join('\n')}`,
          ),
        );
      }, timeoutMs);
      const listener = (line: string) => {
        if (!pattern.test(line)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve(line);
      };
      listeners.add(listener);
      void exited.then((code) => {
        if (!listeners.has(listener)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        reject(
          new Error(
            `process exited (${code}) before printing ${pattern}; last lines:\n${lines.slice(-20).join('\n')}`,
          ),
        );
      });
    });
  return { child, lines, waitFor, exited };
}

/** Kills every process in `workers` that is still running (for afterEach/afterAll). */
export async function killAll(workers: WorkerProcess[]): Promise<void> {
  for (const w of workers)
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
}
