/**
 * The course's producer: sends rides to `datatalkclub.yellow_taxi_ride.json` with the key
 * `{"vendorId": n}`.
 *
 *   tsx examples/taxi/produce.ts [--file rides.csv] [--rate 1] [--loop] [--topic name] [--partitions 2]
 *   tsx examples/taxi/produce.ts --synthetic 1000000 --seed 7     (rides learned from rides.csv)
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, type Topic } from '@strom/core';
import { RIDES_CSV, RIDES_TOPIC, RideKey, readRides, TaxiRide } from './rides.js';
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
  /** Messages per second; default as fast as possible. */
  rate?: number;
  /** Start over at the end, forever. */
  loop?: boolean;
  topic?: string;
  /** Partitions if the topic is created; default 2. */
  partitions?: number;
}

/** Sends the rides and resolves once the broker acknowledged them all; returns how many. */
export async function produceRides(options: ProduceOptions = {}): Promise<number> {
  const app = new App({ id: 'taxi-producer', broker: 'localhost:9092', logLevel: 'warn' });
  const topic: Topic<TaxiRide, RideKey> = app.topic(options.topic ?? RIDES_TOPIC, {
    key: RideKey,
    value: TaxiRide,
    partitions: options.partitions ?? 2,
  });
  await app.createTopics();
  const rides =
    options.rides ??
    (options.synthetic !== undefined
      ? [...syntheticRides(options.synthetic, options.seed ?? 1)]
      : readRides(options.file ?? RIDES_CSV));
  const pauseMs = options.rate ? 1000 / options.rate : 0;
  let sent = 0;
  try {
    do {
      for (const ride of rides) {
        await topic.send(ride, { key: { vendorId: ride.vendorId } });
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
    else if (flag === '--rate') options.rate = positive(value());
    else if (flag === '--loop') options.loop = true;
    else if (flag === '--topic') options.topic = value();
    else if (flag === '--partitions') options.partitions = positive(value());
    else if (flag === '--synthetic') options.synthetic = positive(value());
    else if (flag === '--seed') options.seed = Number(value());
    else {
      throw new Error(
        `unknown option ${flag}: use --file, --rate, --loop, --topic, --partitions, --synthetic, --seed`,
      );
    }
  }
  return options;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  try {
    const count = await produceRides(parseArgs(process.argv.slice(2)));
    console.log(`sent ${count} rides`);
  } catch (error) {
    console.error(`produce: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
}
