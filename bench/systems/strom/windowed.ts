/**
 * Scenario "windowed" on Strom: re-key the rides by pickup zone (`groupBy`, through
 * `<group>-pickupZone-repartition`) and count them per zone in 1-minute tumbling windows of
 * pickup time, in the windowed table `zone_rides_per_minute` (docs/windows.md); every update goes
 * to `<group>-zone_rides_per_minute-changelog`. The grace (BENCH_GRACE_MS) is longer than the
 * input's span of pickup times, so no ride is late and no window closes or expires during a run:
 * Faust has no such rules on event time, and every system does the same work.
 */
import { firstConsumed, type Ride, systemConfig } from '../protocol.js';
import { benchApp, expectTopic, rideTopics, runWorker } from './app.js';

const MINUTE = 60_000;
const config = systemConfig();
const app = benchApp(config);
const first = firstConsumed();

const perMinute = app.table<number, number>('zone_rides_per_minute', { default: () => 0 }).tumbling(MINUTE, {
  timestamp: (ride: Ride) => Date.parse(ride.tpep_pickup_datetime),
  graceMs: config.graceMs,
  expiresMs: config.graceMs + MINUTE,
});
expectTopic(perMinute.table.changelog.name, config.output);

app.agent(rideTopics(app, config), async function windowed(stream) {
  const byZone = stream.groupBy(
    (ride) => {
      first();
      return ride.PULocationID;
    },
    { name: 'pickupZone' },
  );
  for await (const ride of byZone) {
    await perMinute.update(ride.PULocationID, (count) => count + 1);
  }
});

await runWorker(app);
