/**
 * What a benchmarked program (bench/systems/<system>/<scenario>.ts, bench/faust/bench_app.py)
 * gets from the harness and tells it back.
 *
 * In: environment variables (BENCH_BROKER, BENCH_GROUP, BENCH_INPUT, BENCH_PROBE, BENCH_OUTPUT,
 * BENCH_THRESHOLD, BENCH_REPARTITION, BENCH_GRACE_MS, ...); every topic exists before the program
 * starts, the repartition and changelog topics of the stateful and windowed scenarios too.
 * Out: lines `@@bench {json}` on stdout: `{"first": ms}` when the first input record reaches the
 * program's processing code (wall clock, ms since the epoch), `{"ready": ms}` once it consumes.
 * The harness stops the program with SIGTERM.
 */

export interface SystemConfig {
  broker: string;
  /** Consumer group (and Strom app id / Faust app id); fresh for every run. */
  group: string;
  input: string;
  /** Read like the input; the harness feeds it after the timed part to measure latency. */
  probe: string;
  /** Stateless: the output topic; stateful and windowed: the table's changelog topic. */
  output: string;
  /** Stateless scenario: keep rides with total_amount >= threshold. */
  threshold: number;
  /** Stateful and windowed: the repartition topic (`<group>-<name>-repartition`); else ''. */
  repartition: string;
  /** Windowed: how far behind stream time a ride may be and still count, ms. */
  graceMs: number;
}

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set (run me through pnpm bench)`);
  return value;
}

export function systemConfig(): SystemConfig {
  return {
    broker: env('BENCH_BROKER'),
    group: env('BENCH_GROUP'),
    input: env('BENCH_INPUT'),
    probe: env('BENCH_PROBE'),
    output: env('BENCH_OUTPUT'),
    threshold: Number(process.env.BENCH_THRESHOLD ?? '10'),
    repartition: process.env.BENCH_REPARTITION ?? '',
    graceMs: Number(process.env.BENCH_GRACE_MS ?? '0'),
  };
}

export function report(fields: Record<string, number | string>): void {
  process.stdout.write(`@@bench ${JSON.stringify(fields)}\n`);
}

/** Reports `{"first": now}` the first time it is called. */
export function firstConsumed(): () => void {
  let seen = false;
  return () => {
    if (seen) return;
    seen = true;
    report({ first: Date.now() });
  };
}

/** The ride fields the scenarios read (values are decoded JSON, not validated). */
export interface Ride {
  vendorId: number;
  passenger_count: number;
  trip_distance: number;
  payment_type: number;
  total_amount: number;
  PULocationID: number;
  DOLocationID: number;
  tpep_pickup_datetime: string;
  tpep_dropoff_datetime: string;
}
