/**
 * The course's producer: sends rides to `datatalkclub.yellow_taxi_ride.json` with the key
 * `{"vendorId": n}`. A TLC file of any format (yellow, green, NYC Open Data export, snake_case
 * sample) is read as `strom send --csv` reads it; rows are sent as they are, so the ones without
 * a vendor reach the workers' dead-letter topic.
 *
 *   tsx examples/taxi/produce.ts [--file rides.csv] [--map field=column] [--rate 1] [--loop]
 *                                [--topic name] [--partitions 2]
 *   tsx examples/taxi/produce.ts --synthetic 1000000 --seed 7     (rides learned from rides.csv)
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CsvRecordReader, type CsvSummary, parseRecordKey } from '@strom/cli/csv';
import { App, type Topic } from '@strom/core';
import { KEEP_HISTORY, RIDE_KEY, RIDES_CSV, RIDES_TOPIC, RideKey, TaxiRide } from './rides.js';
import { syntheticRides } from './synthetic.js';

export interface ProduceOptions {
  /** Rides to send; default: every ride of `file`. */
  rides?: Iterable<TaxiRide>;
  /** Instead of a file: this many synthetic rides (distributions learned from rides.csv). */
  synthetic?: number;
  /** Seed of the synthetic rides; default 1. */
  seed?: number;
  /** A TLC CSV file; default examples/taxi/data/rides.csv. */
  file?: string;
  /** field -> column, for a file whose header names a column differently. */
  map?: Record<string, string>;
  /** Called after each pass over the file with what was read. */
  onRead?: (summary: CsvSummary) => void;
  /** Messages per second; default as fast as possible. */
  rate?: number;
  /** Start over at the end, forever. */
  loop?: boolean;
  topic?: string;
  /** Partitions if the topic is created; default 2. */
  partitions?: number;
}

/** Each row of a TLC file as it is (validated by the consumers), with its key. */
async function* fileRides(options: ProduceOptions): AsyncGenerator<{ value: unknown; key: unknown }> {
  const reader = new CsvRecordReader({ schema: TaxiRide, map: options.map });
  const key = parseRecordKey(RIDE_KEY);
  for await (const row of reader.readFile(options.file ?? RIDES_CSV)) yield { value: row, key: key.of(row) };
  options.onRead?.(reader.summary);
}

async function* givenRides(rides: Iterable<TaxiRide>): AsyncGenerator<{ value: unknown; key: unknown }> {
  for (const ride of rides) yield { value: ride, key: { vendorId: ride.vendorId } };
}

/** Sends the rides and resolves once the broker acknowledged them all; returns how many. */
export async function produceRides(options: ProduceOptions = {}): Promise<number> {
  const app = new App({ id: 'taxi-producer', broker: 'localhost:9092', logLevel: 'warn' });
  // rows of a file are sent unvalidated, so the topic is typed for what it may carry
  const topic: Topic<unknown, unknown> = app.topic(options.topic ?? RIDES_TOPIC, {
    key: RideKey,
    value: TaxiRide,
    partitions: options.partitions ?? 2,
    config: KEEP_HISTORY,
  });
  await app.createTopics();
  const given =
    options.rides ??
    (options.synthetic !== undefined ? [...syntheticRides(options.synthetic, options.seed ?? 1)] : undefined);
  const pauseMs = options.rate ? 1000 / options.rate : 0;
  let sent = 0;
  try {
    do {
      for await (const { value, key } of given ? givenRides(given) : fileRides(options)) {
        await topic.send(value, { key });
        sent += 1;
        if (pauseMs > 0) {
          await app.flush();
          await new Promise((r) => setTimeout(r, pauseMs));
        }
      }
    } while (options.loop);
    await app.flush();
  } finally {
    await app.stop();
  }
  return sent;
}

function parseArgs(argv: string[]): ProduceOptions {
  const options: ProduceOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const positive = (v: string) => {
      const n = Number(v);
      if (!(n > 0)) throw new Error(`${flag} must be a positive number, got ${v}`);
      return n;
    };
    if (flag === '--file') options.file = resolve(value());
    else if (flag === '--map') {
      const [field, column] = value().split('=');
      if (!field || !column) throw new Error('--map needs field=column');
      options.map = { ...options.map, [field]: column };
    } else if (flag === '--rate') options.rate = positive(value());
    else if (flag === '--loop') options.loop = true;
    else if (flag === '--topic') options.topic = value();
    else if (flag === '--partitions') options.partitions = positive(value());
    else if (flag === '--synthetic') options.synthetic = positive(value());
    else if (flag === '--seed') options.seed = Number(value());
    else {
      throw new Error(
        `unknown option ${flag}: use --file, --map, --rate, --loop, --topic, --partitions, --synthetic, --seed`,
      );
    }
  }
  return options;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  try {
    let empty = 0;
    const options = {
      ...parseArgs(process.argv.slice(2)),
      onRead: (s: CsvSummary) => (empty = s.rowsWithEmptyRequired),
    };
    const count = await produceRides(options);
    console.log(
      `sent ${count} rides${empty > 0 ? `; ${empty} without a required field (dead-lettered by the workers)` : ''}`,
    );
  } catch (error) {
    console.error(`produce: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
}
