/**
 * Scenario "stateless" on Strom: decode each ride (JSON), keep rides with total_amount >=
 * threshold, send them (JSON) with the same key to the output topic. An `async function*` agent
 * whose yields go to its sink, as the user guide shows; at-least-once (the worker commits a
 * batch once every record it caused is acknowledged).
 *
 * Keys pass through as bytes (raw codec) and values are not validated (no zod schema), so the
 * work is the same as the kafkajs program's and Faust's; `BENCH_VALIDATE=1` adds the zod schema
 * of the taxi example (the `strom-zod` system). The schema is written out here, not imported from
 * examples/taxi/rides.ts: the bench runs bench/systems/ transpiled into bench/.build/ against a
 * snapshot of @strom/core's dist/, and rides.ts is outside it and imports csv-parse, which only
 * examples/taxi resolves.
 */
import { type Topic, z } from '@strom/core';
import { firstConsumed, type Ride, systemConfig } from '../protocol.js';
import { benchApp, rideTopics, runWorker } from './app.js';

const config = systemConfig();
const validate = process.env.BENCH_VALIDATE === '1';

const RideSchema = z.object({
  vendorId: z.number().int(),
  passenger_count: z.number().int(),
  trip_distance: z.number(),
  payment_type: z.number().int(),
  total_amount: z.number(),
  PULocationID: z.number().int(),
  DOLocationID: z.number().int(),
  tpep_pickup_datetime: z.string(),
  tpep_dropoff_datetime: z.string(),
});

const app = benchApp(config);
const output: Topic<Ride, Buffer> = app.topic<Ride, Buffer>(config.output);
const first = firstConsumed();
const threshold = config.threshold;

app.agent(
  rideTopics(app, config, validate ? { value: RideSchema } : {}),
  async function* stateless(stream) {
    for await (const ride of stream) {
      first();
      if (ride.total_amount >= threshold) yield ride;
    }
  },
  { sink: [output] },
);

await runWorker(app);
