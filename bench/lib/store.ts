/**
 * The raw results docs/benchmarks.md is rendered from: docs/benchmarks.json keeps, for every
 * (scenario, system), the runs of the latest `pnpm bench` invocation that ran it, with that
 * invocation's settings, machine and input facts. Each invocation replaces the entries of what
 * it ran and leaves the others, so a report can combine invocations: strom and kafkajs at
 * 1,000,000 rides, and Faust (about 20 times slower) at fewer in a separate invocation.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { BenchSettings, RunResult } from '../scenarios/types.js';
import type { Machine } from './machine.js';
import type { SystemName } from './systems.js';

/** The settings of an invocation that shape its results (no local paths). */
export type StoredSettings = Omit<BenchSettings, 'logDir' | 'cpuProfileDir'> & { profiled: boolean };

/** The runs of one system on one scenario, from one invocation. */
export interface StoredEntry {
  scenario: string;
  system: SystemName;
  /** The invocation: its command line and when it ended. */
  command: string;
  date: string;
  machine: Machine;
  settings: StoredSettings;
  /** Facts about the input of the invocation (they depend on its size and seed). */
  facts: Record<string, string | number>;
  produceSeconds: number;
  /** Every run, the repeated ones included (the report does not count them). */
  results: RunResult[];
  /** Notes on the system's settings in that invocation (e.g. the Faust venv). */
  notes: string[];
  /** Set when the system could not run at all; then `results` is empty. */
  unavailable?: string;
}

export interface ResultStore {
  about: string;
  entries: StoredEntry[];
}

const ABOUT =
  'Raw results behind docs/benchmarks.md, written by `pnpm bench`: per (scenario, system) the runs of the latest ' +
  'invocation that ran it. `pnpm bench --report-only` renders docs/benchmarks.md from this file.';

export function emptyStore(): ResultStore {
  return { about: ABOUT, entries: [] };
}

/** JSON has no NaN: a failed run's numbers are stored as null and read back as NaN. */
const NUMBERS = ['seconds', 'eventsPerSec', 'p50Ms', 'p99Ms', 'rssMb'] as const;

export function loadStore(file: string): ResultStore {
  if (!existsSync(file)) return emptyStore();
  const store = JSON.parse(readFileSync(file, 'utf8')) as ResultStore;
  for (const entry of store.entries) {
    for (const result of entry.results) {
      for (const field of NUMBERS) result[field] = result[field] ?? Number.NaN;
    }
  }
  return { about: ABOUT, entries: store.entries };
}

export function saveStore(file: string, store: ResultStore): void {
  writeFileSync(file, `${JSON.stringify(store, null, 2)}\n`);
}

/** `store` with `entries` in place of those of the same (scenario, system). */
export function mergeEntries(store: ResultStore, entries: readonly StoredEntry[]): ResultStore {
  const replaced = (e: StoredEntry) =>
    entries.some((n) => n.scenario === e.scenario && n.system === e.system);
  return { about: ABOUT, entries: [...store.entries.filter((e) => !replaced(e)), ...entries] };
}

export function storedSettings(settings: BenchSettings): StoredSettings {
  const { logDir: _logDir, cpuProfileDir, ...rest } = settings;
  return { ...rest, profiled: cpuProfileDir !== undefined };
}
