/**
 * Starts, stops and checks the local schema registry: Apicurio Registry (in-memory storage) with
 * its Confluent-compatible API at `/apis/ccompat/v7`, as a detached JVM with a pid file and a log
 * under `REGISTRY_STATE_DIR` (default `<repo>/.registry`), like the Kafka launcher.
 * See docs/decisions/0010-schema-registry.md.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { envMs, repoRoot } from '../kafka/paths.js';
import { isAlive, readPid, removeFile, signal, sleep } from '../kafka/process.js';
import { APICURIO_VERSION, ensureApicurio } from './apicurio.js';
import { findJava } from './java.js';

/** Where Apicurio serves the Confluent schema registry API. */
export const CCOMPAT_PATH = '/apis/ccompat/v7';

/** `REGISTRY_PORT` or 8081 (the Confluent registry's port). */
export function registryPort(): number {
  const raw = process.env.REGISTRY_PORT;
  if (!raw) return 8081;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`REGISTRY_PORT must be a port number, got '${raw}'`);
  return port;
}

function stateDir(): string {
  return process.env.REGISTRY_STATE_DIR
    ? resolve(process.env.REGISTRY_STATE_DIR)
    : join(repoRoot, '.registry');
}

function files(port: number) {
  const dir = stateDir();
  return { dir, pid: join(dir, `registry-${port}.pid`), log: join(dir, `registry-${port}.log`) };
}

/** The JVM argument that tells our registry's process apart from any other on the machine. */
const portArg = (port: number) => `-Dquarkus.http.port=${port}`;

export function registryUrl(port = registryPort()): string {
  return `http://127.0.0.1:${port}${CCOMPAT_PATH}`;
}

/** True when something at the URL answers like a schema registry (GET /subjects -> JSON array). */
export async function registryAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(1000) });
    return res.ok && Array.isArray(await res.json());
  } catch {
    return false;
  }
}

function log(message: string): void {
  process.stderr.write(`[registry] ${message}\n`);
}

function lastLines(file: string, count: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '';
  }
}

/** Starts the registry unless one answers on the port; returns its URL and whether we started it. */
export async function startRegistry(port = registryPort()): Promise<{ url: string; startedByUs: boolean }> {
  const url = registryUrl(port);
  if (await registryAnswers(url)) return { url, startedByUs: false };
  const f = files(port);
  const deadline = Date.now() + envMs('REGISTRY_START_TIMEOUT_MS', 120_000);
  const starting = readPid(f.pid);
  if (starting !== undefined && isAlive(starting, portArg(port))) {
    // another `start` launched it and it is still coming up: wait for that one
    while (Date.now() < deadline && isAlive(starting, portArg(port))) {
      if (await registryAnswers(url)) return { url, startedByUs: false };
      await sleep(250);
    }
    throw new Error(`the schema registry starting on ${url} (pid ${starting}) did not answer; see ${f.log}`);
  }
  mkdirSync(f.dir, { recursive: true });
  const [java, appDir] = await Promise.all([findJava(), ensureApicurio(f.dir, log)]);
  const t0 = performance.now();
  const out = openSync(f.log, 'a');
  const args = [
    '-Xmx384m',
    // a dev registry: start fast and stay small on a shared 2-core machine
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    '-Dquarkus.http.host=127.0.0.1',
    portArg(port),
    // the management interface (health, metrics) is fixed on at build time and would take
    // 0.0.0.0:9000, colliding with every other registry: a free port on loopback instead
    '-Dquarkus.management.host=127.0.0.1',
    '-Dquarkus.management.port=0',
    '-Dapicurio.datasource.jdbc.initial-size=2',
    '-Dapicurio.datasource.jdbc.min-size=2',
    // Confluent's default level; Apicurio has no global rule (NONE) unless told
    '-Dapicurio.rules.global.compatibility=BACKWARD',
    '-jar',
    join(appDir, 'quarkus-run.jar'),
  ];
  const child = spawn(java.bin, args, { cwd: f.dir, detached: true, stdio: ['ignore', out, out] });
  child.unref();
  writeFileSync(f.pid, `${child.pid}\n`);
  while (Date.now() < deadline) {
    if (await registryAnswers(url)) {
      const seconds = ((performance.now() - t0) / 1000).toFixed(1);
      log(
        `Apicurio Registry ${APICURIO_VERSION} ready at ${url} in ${seconds} s (Java ${java.major}, ${java.source}); log in ${f.log}`,
      );
      return { url, startedByUs: true };
    }
    if (!isAlive(child.pid!, portArg(port))) break;
    await sleep(250);
  }
  signal(child.pid!, 'SIGKILL');
  removeFile(f.pid);
  throw new Error(
    `the schema registry did not answer on ${url}; ${f.log} ends with:\n${lastLines(f.log, 15)}`,
  );
}

/** Stops the registry this state dir started on the port and waits until it is gone (a no-op when none runs). */
export async function stopRegistry(port = registryPort()): Promise<void> {
  const f = files(port);
  const pid = readPid(f.pid);
  const marker = portArg(port);
  if (pid !== undefined && isAlive(pid, marker)) {
    signal(pid, 'SIGTERM');
    const deadline = Date.now() + envMs('REGISTRY_STOP_TIMEOUT_MS', 15_000);
    while (isAlive(pid, marker) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid, marker)) {
      signal(pid, 'SIGKILL');
      while (isAlive(pid, marker)) await sleep(50);
    }
  }
  removeFile(f.pid);
}
