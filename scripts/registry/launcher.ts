/**
 * Starts, stops and checks the local schema registry (scripts/registry/server.ts) as a detached
 * process with a pid file under `REGISTRY_STATE_DIR` (default `<repo>/.registry`), like the
 * Kafka launcher. Nothing is downloaded, so a start takes about a second.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from '../kafka/paths.js';
import { isAlive, readPid, removeFile, signal, sleep } from '../kafka/process.js';

const SERVER = join(repoRoot, 'scripts', 'registry', 'server.ts');

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
  return {
    dir,
    pid: join(dir, `registry-${port}.pid`),
    state: join(dir, `schemas-${port}.json`),
    log: join(dir, `registry-${port}.log`),
  };
}

export function registryUrl(port = registryPort()): string {
  return `http://127.0.0.1:${port}`;
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

/** Starts the registry unless one answers on the port; returns its URL and whether we started it. */
export async function startRegistry(port = registryPort()): Promise<{ url: string; startedByUs: boolean }> {
  const url = registryUrl(port);
  if (await registryAnswers(url)) return { url, startedByUs: false };
  const f = files(port);
  mkdirSync(f.dir, { recursive: true });
  const out = openSync(f.log, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, String(port), f.state], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', out, out],
  });
  child.unref();
  writeFileSync(f.pid, `${child.pid}\n`);
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (await registryAnswers(url)) return { url, startedByUs: true };
    if (child.exitCode !== null || !isAlive(child.pid!, SERVER)) break;
    await sleep(100);
  }
  signal(child.pid!, 'SIGKILL');
  removeFile(f.pid);
  throw new Error(`the schema registry did not answer on ${url}; see ${f.log}`);
}

/** Stops the registry this state dir started on the port (a no-op when none runs). */
export async function stopRegistry(port = registryPort()): Promise<void> {
  const f = files(port);
  const pid = readPid(f.pid);
  if (pid !== undefined && isAlive(pid, SERVER)) {
    signal(pid, 'SIGTERM');
    const deadline = Date.now() + 5000;
    while (isAlive(pid, SERVER) && Date.now() < deadline) await sleep(50);
    if (isAlive(pid, SERVER)) signal(pid, 'SIGKILL');
  }
  removeFile(f.pid);
}
