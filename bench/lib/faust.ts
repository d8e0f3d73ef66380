/**
 * The Faust peer's Python environment: bench/faust/.venv with the pinned faust-streaming, aiokafka
 * and rocksdict (Faust's RocksDB store) of bench/faust/requirements.txt, created on first use
 * (needs Python 3.11 and PyPI).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FAUST_DIR, VENV_DIR } from './systems.js';

export type FaustSetup =
  | { ok: true; python: string; faust: string; versions: Record<string, string>; notes: string[] }
  | { ok: false; reason: string };

const REQUIREMENTS = join(FAUST_DIR, 'requirements.txt');

function run(command: string, args: string[], timeoutMs = 600_000) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs });
  return {
    ok: result.status === 0,
    out: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`.trim(),
  };
}

/** `python3.11`, or `python3` when that is 3.11. */
function findPython(): string | undefined {
  for (const candidate of ['python3.11', 'python3']) {
    const { ok, out } = run(candidate, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
    if (ok && out.split('\n').pop() === '3.11') return candidate;
  }
  return undefined;
}

function pinned(): Record<string, string> {
  const pins: Record<string, string> = {};
  for (const line of readFileSync(REQUIREMENTS, 'utf8').split('\n')) {
    const match = /^([A-Za-z0-9_.-]+)==([^\s#]+)/.exec(line.trim());
    if (match) pins[match[1]!.toLowerCase()] = match[2]!;
  }
  return pins;
}

/** Prints the versions of the packages named in its arguments (null: not installed). */
const PROBE = `
import json, importlib.metadata as m, sys
from faust.transport.drivers import aiokafka as driver
def version(name):
    try:
        return m.version(name)
    except m.PackageNotFoundError:
        return None
print(json.dumps({
  **{name: version(name) for name in sys.argv[1:]},
  "python": "%d.%d.%d" % sys.version_info[:3],
  "mode-streaming": m.version("mode-streaming"),
  "versionedRequests": getattr(driver, "_AIOKAFKA_HAS_API_VERSION", None),
}))
`;

function probe(python: string): Record<string, string | boolean | null> | undefined {
  const { ok, out } = run(python, ['-c', PROBE, ...Object.keys(pinned())], 60_000);
  if (!ok) return undefined;
  try {
    return JSON.parse(out.split('\n').pop() ?? '') as Record<string, string | boolean | null>;
  } catch {
    return undefined;
  }
}

/** Creates or checks the venv; never throws (a failure is a reason to print and to document). */
export function ensureFaust(log: (message: string) => void): FaustSetup {
  const python = join(VENV_DIR, 'bin', 'python');
  const faust = join(VENV_DIR, 'bin', 'faust');
  const pins = pinned();
  let found = existsSync(python) && existsSync(faust) ? probe(python) : undefined;
  const matches = (f: typeof found) =>
    f !== undefined && Object.entries(pins).every(([name, version]) => f[name] === version);
  if (!matches(found)) {
    const base = findPython();
    if (!base) return { ok: false, reason: 'no Python 3.11 (python3.11 or python3) on PATH' };
    log(
      `setting up the Faust venv in ${VENV_DIR} (${Object.entries(pins)
        .map(([n, v]) => `${n}==${v}`)
        .join(' ')})`,
    );
    rmSync(VENV_DIR, { recursive: true, force: true });
    const venv = run(base, ['-m', 'venv', VENV_DIR]);
    if (!venv.ok) return { ok: false, reason: `python3.11 -m venv failed: ${venv.out.slice(-500)}` };
    const pip = run(python, [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '-r',
      REQUIREMENTS,
    ]);
    if (!pip.ok)
      return {
        ok: false,
        reason: `pip install -r bench/faust/requirements.txt failed: ${pip.out.slice(-800)}`,
      };
    found = probe(python);
    if (!matches(found)) {
      return { ok: false, reason: `the venv does not import the pinned versions: ${JSON.stringify(found)}` };
    }
  }
  const versions: Record<string, string> = {};
  for (const [name, value] of Object.entries(found!)) if (typeof value === 'string') versions[name] = value;
  const notes: string[] = [];
  // kafka-without-docker.md §10's sanity check greps the driver for versioned CreateTopics
  // requests, which Kafka 4 no longer accepts. faust-streaming 0.15.3 still has the line, but
  // only in a branch for aiokafka < 0.13; with aiokafka 0.14 the unversioned request is used.
  const driver = readFileSync(
    join(
      VENV_DIR,
      'lib',
      `python${versions.python?.split('.').slice(0, 2).join('.')}`,
      'site-packages',
      'faust',
      'transport',
      'drivers',
      'aiokafka.py',
    ),
    'utf8',
  );
  if (driver.includes('CreateTopicsRequest[')) {
    if (found!.versionedRequests === false) {
      notes.push(
        "The recipe's grep finds `CreateTopicsRequest[1]` in the Faust driver, but only in a branch for aiokafka < 0.13 (`_AIOKAFKA_HAS_API_VERSION` is False with aiokafka 0.14.0): Faust creates its topics with unversioned requests, which Kafka 4.x accepts.",
      );
    } else {
      return {
        ok: false,
        reason:
          'this Faust sends versioned CreateTopics requests that Kafka 4.x rejects (kafka-without-docker.md §10)',
      };
    }
  }
  return { ok: true, python, faust, versions, notes };
}
