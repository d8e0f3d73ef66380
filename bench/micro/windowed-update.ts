/**
 * Micro-benchmark of a tumbling windowed table's write path, in process (the agent test
 * harness, no broker): N events over `zones` keys, 1-minute windows, event time advancing.
 *
 *   pnpm exec tsx --expose-gc bench/micro/windowed-update.ts [events] [zones]
 */
import { App, z } from '@strom/core';
import { testAgent } from '@strom/core/testing';

const events = Number(process.argv[2] ?? 200_000);
const zones = Number(process.argv[3] ?? 260);
const Ride = z.object({ zone: z.number().int(), at: z.number() });
type Ride = z.infer<typeof Ride>;

const app = new App({ id: 'micro-windowed', logLevel: 'silent' });
const rides = app.topic('rides', { value: Ride });
const perZone = app
  .table<number, number>('per_zone', { default: () => 0 })
  .tumbling(60_000, { timestamp: (r: Ride) => r.at, graceMs: 86_400_000 });
const agent = app.agent(rides, async (stream) => {
  for await (const ride of stream) await perZone.update(ride.zone, (n) => n + 1);
});
const harness = await testAgent(agent);
const started = process.hrtime.bigint();
for (let i = 0; i < events; i++) await harness.send({ zone: (i * 7919) % zones, at: i * 100 });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
// the windows still held: run with node --expose-gc for a heap figure without garbage
(globalThis as { gc?: () => void }).gc?.();
const heapMb = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
await harness.stop();
console.log(
  JSON.stringify({
    events,
    zones,
    seconds: Number(seconds.toFixed(3)),
    eventsPerSec: Math.round(events / seconds),
    heapMb,
  }),
);
