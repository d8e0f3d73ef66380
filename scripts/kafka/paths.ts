/**
 * Where the Kafka launcher keeps things, and the environment variables that move them.
 * Paths resolve from this file's own location, never from the current directory, so the
 * launcher works from any cwd (pnpm scripts, vitest workers, examples).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of scripts/kafka/ (holds pom.xml and the log4j configs). */
export const scriptDir: string = dirname(fileURLToPath(import.meta.url));

/** The repository root: the nearest ancestor of scripts/kafka/ holding pnpm-workspace.yaml. */
export const repoRoot: string = findRepoRoot(scriptDir);

function findRepoRoot(from: string): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(scriptDir, '..', '..');
    dir = parent;
  }
}

/** Default Kafka version; `KAFKA_VERSION` overrides it. See docs/decisions/0001-kafka-version.md. */
export const DEFAULT_KAFKA_VERSION = '4.1.2';
/** Default client port of the single broker; `KAFKA_PORT` overrides it. */
export const DEFAULT_KAFKA_PORT = 9092;

/** `KAFKA_STATE_DIR` (made absolute) or `<repo>/.kafka`: jar cache, run state, `bootstrap` file. */
export function defaultStateDir(): string {
  const fromEnv = process.env.KAFKA_STATE_DIR;
  return fromEnv ? resolve(fromEnv) : join(repoRoot, '.kafka');
}

/** `KAFKA_VERSION` or {@link DEFAULT_KAFKA_VERSION}. */
export function defaultKafkaVersion(): string {
  return process.env.KAFKA_VERSION || DEFAULT_KAFKA_VERSION;
}

/** `KAFKA_PORT` or 9092; throws on anything that is not a port number. */
export function defaultPort(): number {
  const raw = process.env.KAFKA_PORT;
  if (!raw) return DEFAULT_KAFKA_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65534) {
    throw new Error(`KAFKA_PORT must be an integer between 1 and 65534, got '${raw}'`);
  }
  return port;
}

/** A whole number of milliseconds from an environment variable, or the fallback. */
export function envMs(name: string, fallbackMs: number): number {
  const raw = process.env[name];
  if (!raw) return fallbackMs;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms <= 0)
    throw new Error(`${name} must be a positive number of ms, got '${raw}'`);
  return ms;
}

/** Progress messages go to stderr so stdout carries only the `KAFKA_BROKERS=...` line. */
export type Logger = (message: string) => void;

export const stderrLogger: Logger = (message) => {
  process.stderr.write(`[kafka] ${message}\n`);
};
