/**
 * What a scenario is to the harness. A scenario gets the input rides once (to compute what a
 * correct system must output) and then runs one system at a time on that same input topic.
 *
 * To add one (stateful, windowed, recovery): implement {@link Scenario} in bench/scenarios/,
 * add bench/systems/{strom,kafkajs}/<name>.ts and a branch in bench/faust/bench_app.py, and
 * register it in bench/scenarios/index.ts.
 */
import type { Kafka } from 'kafkajs';
import type { TaxiRide } from '../../examples/taxi/rides.js';
import type { BenchAdmin } from '../lib/broker.js';
import type { ProgramSpec } from '../lib/processes.js';
import type { ProgramOptions, SystemName } from '../lib/systems.js';

export interface BenchSettings {
  events: number;
  runs: number;
  seed: number;
  /** Per-run limit for the timed part, ms. */
  timeoutMs: number;
  /** Latency probe: rides per second and seconds (0 rate: no probe). */
  probeRate: number;
  probeSeconds: number;
  /** A run during which other processes used more cores than this is measured again. */
  maxOtherCores: number;
  retries: number;
  /** Worker processes of the `strom-processes` system (`--processes N`). */
  processes?: number;
  cpuProfileDir?: string;
  logDir: string;
}

export interface RunContext {
  kafka: Kafka;
  admin: BenchAdmin;
  brokers: string[];
  /** The local broker's process (its CPU use is reported apart), if known. */
  brokerPid?: number;
  settings: BenchSettings;
  /** The scenario's input topic, already holding `settings.events` rides. */
  input: string;
  system: SystemName;
  /** 1-based run number of this system. */
  run: number;
  /** Starts the system's program for this scenario (the harness adds logging and RSS). */
  program(options: Omit<ProgramOptions, 'scenario' | 'cpuProfileDir'>): ProgramSpec;
}

export interface RunResult {
  scenario: string;
  system: SystemName;
  run: number;
  events: number;
  /** First input record consumed -> last output record appended; NaN when the run failed. */
  seconds: number;
  eventsPerSec: number;
  /** End-to-end latency of the probe records (input append -> output append), ms. */
  p50Ms: number;
  p99Ms: number;
  rssMb: number;
  /** Output records checked against the expectation. */
  outputs: number;
  ok: boolean;
  /** Why the run does not count. */
  problem?: string;
  /** Measured again because other processes used the CPU meanwhile: not counted. */
  repeated?: boolean;
  /** Counted although other processes used the CPU meanwhile (after every retry). */
  busy?: boolean;
  /** More to print, e.g. the harness-observed end compared with the append-time end. */
  detail?: Record<string, number | string>;
}

export interface ImplementedScenario {
  readonly name: string;
  readonly implemented: true;
  readonly title: string;
  /** The work every system does, for docs/benchmarks.md (Markdown). */
  readonly work: string;
  /** Sees every input ride, in order, before any run. */
  observe(ride: TaxiRide, index: number): void;
  /** Facts about the input for the report (e.g. the filter's selectivity). */
  inputFacts(): Record<string, string | number>;
  runOnce(context: RunContext): Promise<RunResult>;
  /** More Markdown for docs/benchmarks.md after the scenario's table (e.g. recovery's restarts). */
  reportExtra?(results: readonly RunResult[], systems: readonly SystemName[]): string[];
}

export interface PendingScenario {
  readonly name: string;
  readonly implemented: false;
  readonly title: string;
  readonly work: string;
  /** What it waits for. */
  readonly blockedBy: string;
}

export type Scenario = ImplementedScenario | PendingScenario;
