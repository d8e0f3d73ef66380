/**
 * `pnpm demo`: the course's taxi pipelines on rides.csv against a local broker, with a short
 * summary at the end; `pnpm demo --serve` then keeps a worker up with its dashboard. Starts a broker when none answers; resets the demo topics first so the
 * numbers are those of one pass over the data. `runDemo()` is also what the example tests run.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { App } from '@strom/core';
import { avroSummary, runAvroDemo } from './avro-demo.js';
import { DASHBOARD_URL, serveDashboard } from './dashboard.js';
import { DemoCluster, demoBrokers, ensureBroker } from './demo-support.js';
import type { RidePickup, RideWithZones } from './join_rides.js';
import { produceRides } from './produce.js';
import { RIDES_TOPIC, readRides } from './rides.js';
import { readZones } from './zones.js';

/** What the pipelines computed on rides.csv. */
export interface DemoResult {
  rides: number;
  vendorCounts: Record<string, unknown>;
  highAmount: number;
  lowAmount: number;
  /** Rides written to the enriched topic, and the last per-vendor statistics. */
  enriched: number;
  vendorStats: Record<string, unknown>;
  /** 1-minute pickup-time windows: [window start ms, vendorId, rides], oldest first. */
  pickupWindows: Array<[number, number, number]>;
  /** 10-minute hopping windows of revenue per pickup zone: [window start ms, zone, cents]. */
  zoneRevenue: Array<[number, number, number]>;
  /** Sessions per pickup zone (30-minute gap): [zone, first pickup ms, last pickup ms, rides]. */
  zoneSessions: Array<[number, number, number, number]>;
  /** The largest sliding-window count (rides of one zone within 30 minutes of each other). */
  busiestSlidingWindow: number;
  /** join_rides: rides named by the zone global table, and how many names differ from the lookup. */
  namedRides: number;
  misnamedRides: number;
  /** join_rides: ride/pickup pairs the stream-stream join produced, the brute-force count, and the pairs that differ. */
  ridePickupPairs: number;
  bruteForcePairs: number;
  pairsDiffering: number;
  seconds: number;
}

interface Pipeline {
  app: App;
  /** Topics the pipeline writes, deleted before the run (internal topics too, by prefix). */
  outputs: string[];
  /** Reads what the pipeline produced into the result. */
  collect(cluster: DemoCluster, result: DemoResult): Promise<void>;
  /** Sends what the pipeline reads besides the rides, before its worker starts. */
  prepare?(): Promise<void>;
  /** Topics besides the rides the pipeline must have consumed before `collect`. */
  inputs?: string[];
}

async function pipelines(): Promise<Pipeline[]> {
  const branch = await import('./branch_price.js');
  const count = await import('./count_vendor_trips.js');
  const enrich = await import('./enrich_rides.js');
  const windowing = await import('./windowing.js');
  const revenue = await import('./revenue_by_zone.js');
  const zones = await import('./zone_activity.js');
  const joins = await import('./join_rides.js');
  const rides = readRides();
  return [
    {
      app: joins.app,
      outputs: [joins.PICKUPS_TOPIC, joins.ridesWithZones.name, joins.ridesWithPickups.name, joins.app.id],
      inputs: [joins.PICKUPS_TOPIC],
      prepare: async () => {
        await joins.loadJoinInputs(rides);
      },
      collect: async (cluster, result) => {
        const named = await readValues<RideWithZones>(joins.app, joins.ridesWithZones.name, cluster);
        const lookup = readZones();
        result.namedRides = named.length;
        // brute force: the ride's zone names straight from the lookup file
        const namesOf = (id: number) => [lookup.get(id)?.borough ?? null, lookup.get(id)?.zone ?? null];
        result.misnamedRides = named.filter(
          (n) =>
            JSON.stringify([n.pickupBorough, n.pickupZone, n.dropoffBorough, n.dropoffZone]) !==
            JSON.stringify([...namesOf(n.PULocationID), ...namesOf(n.DOLocationID)]),
        ).length;
        const pairs = await readValues<RidePickup>(joins.app, joins.ridesWithPickups.name, cluster);
        const got = pairs.map((p) => `${p.ride} + ${p.driverId}`).sort();
        const expected = joins.ridePickupPairs(rides, joins.pickupLocationsOf(rides));
        result.ridePickupPairs = got.length;
        result.bruteForcePairs = expected.length;
        result.pairsDiffering = multisetDifference(got, expected);
      },
    },
    {
      app: zones.app,
      outputs: [zones.app.id],
      collect: async (_cluster, result) => {
        const sessions = await zones.app.readTable(zones.zoneSessions.table.name);
        result.zoneSessions = [...sessions].map(([id, rides]) => {
          const [zone, startMs, endMs] = JSON.parse(id) as [number, number, number];
          return [zone, startMs, endMs - 1, rides as number] as [number, number, number, number];
        });
        const sliding = await zones.app.readTable(zones.ridesNearEachOther.table.name);
        result.busiestSlidingWindow = Math.max(
          0,
          ...[...sliding.values()].map((v) => (v as { aggregate: number }).aggregate),
        );
      },
    },
    {
      app: revenue.app,
      outputs: [revenue.app.id],
      collect: async (_cluster, result) => {
        const cells = await revenue.app.readTable(revenue.revenueByZone.table.name);
        result.zoneRevenue = [...cells].map(([id, cents]) => {
          const [zone, startMs] = JSON.parse(id) as [number, number, number];
          return [startMs, zone, cents as number] as [number, number, number];
        });
      },
    },
    {
      app: windowing.app,
      outputs: [windowing.app.id],
      collect: async (_cluster, result) => {
        const cells = await windowing.app.readTable(windowing.perMinuteOnPickup.table.name);
        result.pickupWindows = [...cells]
          .map(([id, count]) => {
            const [vendorId, startMs] = JSON.parse(id) as [number, number, number];
            return [startMs, vendorId, count as number] as [number, number, number];
          })
          .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      },
    },
    {
      app: enrich.app,
      outputs: [enrich.enriched.name, enrich.app.id],
      collect: async (cluster, result) => {
        result.enriched = await cluster.count(enrich.enriched.name);
        result.vendorStats = Object.fromEntries(await enrich.app.readTable(enrich.vendorStats.name));
      },
    },
    {
      app: count.app,
      outputs: [count.app.id],
      collect: async (_cluster, result) => {
        result.vendorCounts = Object.fromEntries(await count.app.readTable(count.vendorRides.name));
      },
    },
    {
      app: branch.app,
      outputs: [branch.highAmount.name, branch.lowAmount.name, branch.app.id],
      collect: async (cluster, result) => {
        result.highAmount = await cluster.count(branch.highAmount.name);
        result.lowAmount = await cluster.count(branch.lowAmount.name);
      },
    },
  ];
}

/** Runs every pipeline once over rides.csv and returns what they computed. */
export async function runDemo(): Promise<DemoResult> {
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
  const result: DemoResult = {
    rides: 0,
    vendorCounts: {},
    highAmount: 0,
    lowAmount: 0,
    enriched: 0,
    vendorStats: {},
    pickupWindows: [],
    zoneRevenue: [],
    zoneSessions: [],
    busiestSlidingWindow: 0,
    namedRides: 0,
    misnamedRides: 0,
    ridePickupPairs: 0,
    bruteForcePairs: 0,
    pairsDiffering: 0,
    seconds: 0,
  };
  result.rides = await produceRides();
  for (const p of all) await p.prepare?.();
  const workers = all.map((p) => p.app.createWorker());
  try {
    await Promise.all(workers.map((w) => w.start()));
    // the rides, then what groupBy forwarded: a repartition topic is complete once the rides are
    for (const p of all) {
      await cluster.waitConsumed(p.app.id, RIDES_TOPIC);
      for (const topic of p.inputs ?? []) await cluster.waitConsumed(p.app.id, topic);
      for (const t of p.app.topics().filter((t) => t.name.endsWith('-repartition'))) {
        await cluster.waitConsumed(p.app.id, t.name);
      }
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
  for (const p of all) await p.collect(cluster, result);
  result.seconds = (Date.now() - started) / 1000;
  return result;
}

/** Every value of `topic` (JSON), read from the beginning. */
async function readValues<T>(app: App, topic: string, cluster: DemoCluster): Promise<T[]> {
  const values: T[] = [];
  const limit = await cluster.count(topic);
  if (limit === 0) return values;
  await app.readTopic(topic, { from: 'beginning', limit }, (records) => {
    for (const r of records) if (r.value) values.push(JSON.parse(r.value.toString('utf8')) as T);
  });
  return values;
}

/** How many elements of `a` and `b` (sorted) are not matched one to one in the other. */
function multisetDifference(a: readonly string[], b: readonly string[]): number {
  let i = 0;
  let j = 0;
  let differ = 0;
  while (i < a.length || j < b.length) {
    const fromA = j >= b.length || (i < a.length && a[i]! < b[j]!);
    const fromB = !fromA && (i >= a.length || b[j]! < a[i]!);
    if (fromA || fromB) differ += 1;
    if (!fromB) i += 1;
    if (!fromA) j += 1;
  }
  return differ;
}

/** The five busiest pickup-time windows as a small table. */
function busiest(cells: Array<[number, number, number]>): string[] {
  const top = [...cells].sort((a, b) => b[2] - a[2] || a[0] - b[0]).slice(0, 5);
  return [
    '    window (UTC)         vendor  rides',
    ...top.map(
      ([start, vendor, rides]) =>
        `    ${new Date(start).toISOString().slice(0, 16).replace('T', ' ')}    ${vendor}       ${rides}`,
    ),
  ];
}

function summary(r: DemoResult): string {
  return [
    `produced ${r.rides} rides to ${RIDES_TOPIC}`,
    '',
    `count_vendor_trips  rides per vendor: ${JSON.stringify(r.vendorCounts)}`,
    `branch_price        total_amount >= 40: ${r.highAmount} rides, below: ${r.lowAmount}`,
    `enrich_rides        ${r.enriched} rides enriched; ${Object.entries(r.vendorStats)
      .map(([vendor, stats]) => {
        const { rides, revenue } = stats as { rides: number; revenue: number };
        return `vendor ${vendor}: ${rides} rides, mean total $${(revenue / rides).toFixed(2)}`;
      })
      .join('; ')}`,
    `windowing           ${r.pickupWindows.length} (1-minute pickup window, vendor) cells; the busiest:`,
    ...busiest(r.pickupWindows),
    `revenue_by_zone     ${r.zoneRevenue.length} (10-minute hopping window, pickup zone) cells; top revenue $${(
      Math.max(0, ...r.zoneRevenue.map((c) => c[2])) / 100
    ).toFixed(2)}`,
    `zone_activity       ${r.zoneSessions.length} busy spells (sessions, 30-minute gap) over ${
      new Set(r.zoneSessions.map((s) => s[0])).size
    } pickup zones; at most ${r.busiestSlidingWindow} rides of one zone within 30 minutes`,
    `join_rides          ${r.namedRides} rides named by the zone global table (${r.misnamedRides} differ from the lookup); ` +
      `${r.ridePickupPairs} ride/pickup-location pairs within 10 minutes (stream-stream join), brute force ${r.bruteForcePairs}: ` +
      (r.pairsDiffering === 0 ? 'same pairs' : `${r.pairsDiffering} pairs differ`),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  try {
    const started = Date.now();
    console.log(summary(await runDemo()));
    console.log(avroSummary(await runAvroDemo()));
    console.log(`\ndemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (!process.argv.includes('--serve')) {
      console.log(`dashboard: \`pnpm demo --serve\` keeps a worker up at ${DASHBOARD_URL}`);
      process.exit(0);
    }
    process.exit(await serveDashboard(new DemoCluster(demoBrokers())));
  } catch (error) {
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.DEMO_DEBUG && error instanceof Error) console.error(error.stack);
    process.exit(1);
  }
}
