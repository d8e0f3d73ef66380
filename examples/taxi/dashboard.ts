/**
 * The taxi pipeline behind `pnpm demo --serve` and the dashboard's browser test: rides re-keyed
 * by vendor (groupBy) and counted in `vendor_rides` and in 1-minute pickup-time windows
 * `vendor_rides_per_minute`; rides of $40 and more go to a sink topic; a ride the schema
 * refuses goes to the dead-letter topic. Its worker serves the dashboard (web: true).
 *
 *   tsx examples/taxi/dashboard.ts worker    # then open http://127.0.0.1:6066/dashboard/
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, stopOnSignals } from '@strom/core';
import type { DemoCluster } from './demo-support.js';
import { produceRides } from './produce.js';
import { RIDES_TOPIC, RIDES_TOPIC_OPTIONS, type TaxiRide, TaxiRide as TaxiRideSchema } from './rides.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface DashboardAppOptions {
  id?: string;
  rides?: string;
  bigRides?: string;
  webPort?: number;
}

export const DASHBOARD_APP_ID = 'datatalksclub.stream.v2-dashboard';
export const DASHBOARD_PORT = 6066;

/** The app, its tables and its agent; names and port can be changed (tests run their own). */
export function dashboardApp(options: DashboardAppOptions = {}) {
  const app = new App({
    id: options.id ?? DASHBOARD_APP_ID,
    broker: 'localhost:9092',
    web: true,
    webPort: options.webPort ?? DASHBOARD_PORT,
    // charts of committed offsets move in steps of this
    commitIntervalMs: 500,
  });
  const rides = app.topic(options.rides ?? RIDES_TOPIC, RIDES_TOPIC_OPTIONS);
  const bigRides = app.topic(options.bigRides ?? 'datatalkclub.yellow_taxi_ride.big', {
    value: TaxiRideSchema,
  });
  const vendorRides = app.table<number, number>('vendor_rides', { default: () => 0 });
  const perMinute = app
    .table<number, number>('vendor_rides_per_minute', { default: () => 0 })
    .tumbling(MINUTE, {
      graceMs: 7 * HOUR, // rides.csv is up to 6.8 h out of order on pickup time
      expiresMs: 24 * HOUR,
      timestamp: (ride: TaxiRide) => Date.parse(ride.tpep_pickup_datetime),
    });
  app.agent(
    rides,
    async function* countRides(stream) {
      for await (const ride of stream.groupBy((r) => r.vendorId, { name: 'vendorId' })) {
        await vendorRides.update(ride.vendorId, (n) => n + 1);
        await perMinute.update(ride.vendorId, (n) => n + 1);
        if (ride.total_amount >= 40) yield ride;
      }
    },
    { sink: [bigRides] },
  );
  return { app, vendorRides, perMinute, bigRides };
}

/** The dashboard's address when the app runs with its defaults. */
export const DASHBOARD_URL = `http://127.0.0.1:${DASHBOARD_PORT}/dashboard/`;

/**
 * `pnpm demo --serve`: the app's worker, from a clean start, fed rides.csv again and again at
 * 20 rides/s so the charts move, until Ctrl-C. Resolves with the worker's exit code.
 */
export async function serveDashboard(cluster: DemoCluster): Promise<number> {
  const { app, bigRides } = dashboardApp();
  await cluster.reset([bigRides.name, app.id], [app.id]);
  const worker = app.createWorker();
  stopOnSignals(worker);
  await worker.start();
  console.log(`\ndashboard: ${DASHBOARD_URL}  (a worker of ${app.id}; Ctrl-C stops it)`);
  produceRides({ rate: 20, loop: true }).catch((error: unknown) => {
    console.error(`demo: producing rides failed: ${error instanceof Error ? error.message : String(error)}`);
  });
  return worker.finished;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) dashboardApp().app.main();
