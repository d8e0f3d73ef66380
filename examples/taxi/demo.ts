/**
 * `pnpm demo`: the course's taxi pipelines on rides.csv against a local broker, with a short
 * summary at the end. Starts a broker when none answers; resets the demo topics first so the
 * numbers are those of one pass over the data.
 */
import type { App } from '@strom/core';
import { DemoCluster, ensureBroker } from './demo-support.js';
import { produceRides } from './produce.js';
import { RIDES_TOPIC } from './rides.js';

interface Pipeline {
  app: App;
  /** Topics the pipeline writes, deleted before the run (internal topics too, by prefix). */
  outputs: string[];
  summary(cluster: DemoCluster): Promise<string[]>;
}

async function pipelines(): Promise<Pipeline[]> {
  const branch = await import('./branch_price.js');
  const count = await import('./count_vendor_trips.js');
  return [
    {
      app: count.app,
      outputs: [count.app.id],
      summary: async () => {
        const counts = Object.fromEntries(await count.app.readTable(count.vendorRides.name));
        return [
          `count_vendor_trips: rides per vendor ${JSON.stringify(counts)} (table ${count.vendorRides.name})`,
        ];
      },
    },
    {
      app: branch.app,
      outputs: [branch.highAmount.name, branch.lowAmount.name, branch.app.id],
      summary: async (cluster) => [
        `branch_price: ${await cluster.count(branch.highAmount.name)} rides >= 40 to ${branch.highAmount.name}, ` +
          `${await cluster.count(branch.lowAmount.name)} to ${branch.lowAmount.name}`,
      ],
    },
  ];
}

async function main(): Promise<void> {
  const started = Date.now();
  const brokers = await ensureBroker();
  process.env.STROM_BROKER = brokers.join(',');
  process.env.STROM_LOG_LEVEL ??= 'warn';
  const cluster = new DemoCluster(brokers);
  const all = await pipelines();
  await cluster.reset(
    [RIDES_TOPIC, ...all.flatMap((p) => p.outputs)],
    all.map((p) => p.app.id),
  );
  const sent = await produceRides();
  console.log(`produced ${sent} rides to ${RIDES_TOPIC}`);
  const workers = all.map((p) => p.app.createWorker());
  try {
    await Promise.all(workers.map((w) => w.start()));
    await Promise.all(all.map((p) => cluster.waitConsumed(p.app.id, RIDES_TOPIC)));
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
  console.log('');
  for (const p of all) for (const line of await p.summary(cluster)) console.log(line);
  console.log(`\ndemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

try {
  await main();
  process.exit(0);
} catch (error) {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
