/**
 * Scenario "stateless" on Strom: decode each ride (JSON), keep rides with total_amount >=
 * threshold, send them (JSON) with the same key to the output topic. An `async function*` agent
 * whose yields go to its sink, as the user guide shows; at-least-once (the worker commits a
 * batch once every record it caused is acknowledged).
 *
 * Keys pass through as bytes (raw codec) and values are not validated (no zod schema), so the
 * work is the same as the kafkajs program's and Faust's; `BENCH_VALIDATE=1` adds the zod schemas
 * of the taxi example (the `strom-zod` system).
 */
import { App, type AppOptions, stopOnSignals, type Topic, z } from '@strom/core';
import { firstConsumed, type Ride, report, systemConfig } from '../protocol.js';

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

const app = new App({
  id: config.group,
  broker: config.broker,
  keyCodec: 'raw',
  topicPartitions: 4,
  logLevel: 'warn',
  // Strom's default (producerMaxInflightRecords 200 000) crashes this pipeline: while one produce
  // request is in flight the next one grows without bound, and kafkajs puts all records of a
  // partition in one record batch; the keys send every ride to 2 partitions, so the batch soon
  // exceeds the broker's message.max.bytes (1 MiB): MESSAGE_TOO_LARGE, the worker stops.
  // 3 000 unacknowledged records (~0.9 MB) keep every request under that. See docs/benchmarks.md.
  producerMaxInflightRecords: 3000,
  // experiments: BENCH_STROM_OPTIONS='{"partitionsConsumedConcurrently":2}' pnpm bench ...
  ...(JSON.parse(process.env.BENCH_STROM_OPTIONS ?? '{}') as Partial<AppOptions>),
});

const options = validate ? { value: RideSchema } : {};
const rides: Topic<Ride, Buffer> = app.topic<Ride, Buffer>(config.input, options);
const probe: Topic<Ride, Buffer> = app.topic<Ride, Buffer>(config.probe, options);
const output: Topic<Ride, Buffer> = app.topic<Ride, Buffer>(config.output);
const first = firstConsumed();
const threshold = config.threshold;

app.agent(
  [rides, probe],
  async function* stateless(stream) {
    for await (const ride of stream) {
      first();
      if (ride.total_amount >= threshold) yield ride;
    }
  },
  { sink: [output] },
);

const worker = app.createWorker();
stopOnSignals(worker);
await worker.start();
report({ ready: Date.now() });
process.exitCode = await worker.finished;
