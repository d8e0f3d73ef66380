/**
 * The figures every fault scenario reports: printed as one line, and appended as JSON to
 * `FAULT_FIGURES_FILE` (default `.faults/figures.jsonl`) so docs/reliability.md can be built
 * from a real run (`pnpm tsx scripts/faults/report.ts`).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface FaultFigures {
  /** Scenario name, e.g. `kill -9 x10, memory store`. */
  scenario: string;
  /** Input events (records produced to the app's input). */
  events: number;
  /** Faults injected (kills, signals, bad records, damaged directories, broker kills). */
  faults: number;
  /** Events whose effect is missing at the end (must be 0). */
  lost: number;
  /** Events counted more than once at the end (at-least-once allows some). */
  duplicated: number;
  /** Longest time from a fault to processing again, ms (undefined when not measured). */
  recoverMs?: number;
  /** Anything else worth a column: exit codes, dead letters, records per kill... */
  notes?: string;
}

export function reportFigures(figures: FaultFigures): void {
  const line = [
    `[faults] ${figures.scenario}:`,
    `events ${figures.events}`,
    `faults ${figures.faults}`,
    `lost ${figures.lost}`,
    `duplicated ${figures.duplicated}`,
    `recover ${figures.recoverMs === undefined ? '-' : `${figures.recoverMs} ms`}`,
    figures.notes ? `(${figures.notes})` : '',
  ]
    .join(' ')
    .trim();
  console.info(line);
  const file = process.env.FAULT_FIGURES_FILE ?? '.faults/figures.jsonl';
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify({ ...figures, at: new Date().toISOString() })}\n`);
}
