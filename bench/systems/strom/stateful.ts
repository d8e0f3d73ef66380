/**
 * Scenario "stateful" on Strom: re-key the rides by vendorId (`groupBy`, through the repartition
 * topic `<group>-vendorId-repartition`) and count them per vendor in the table `vendor_rides`,
 * whose every update goes to `<group>-vendor_rides-changelog`; at-least-once (the worker commits a
 * batch once every record it caused, changelog records included, is acknowledged). The code of
 * docs/tables.md and examples/taxi/count_vendor_trips.ts, on the bench's app settings.
 */
import { firstConsumed, systemConfig } from '../protocol.js';
import { benchApp, expectTopic, rideTopics, runWorker } from './app.js';

const config = systemConfig();
const app = benchApp(config);
const first = firstConsumed();

const vendorRides = app.table<number, number>('vendor_rides', { default: () => 0 });
expectTopic(vendorRides.changelog.name, config.output);

app.agent(rideTopics(app, config), async function stateful(stream) {
  // the key function sees every input ride first: the start of the timed part
  const byVendor = stream.groupBy(
    (ride) => {
      first();
      return ride.vendorId;
    },
    { name: 'vendorId' },
  );
  for await (const ride of byVendor) {
    await vendorRides.update(ride.vendorId, (count) => count + 1);
  }
});

await runWorker(app);
