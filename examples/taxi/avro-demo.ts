/**
 * The Avro part of `pnpm demo`: rides.csv through the schema registry (started when none
 * answers), read back by the course's Avro consumer, and the refused breaking change.
 */
import { startRegistry } from '../../scripts/registry/launcher.js';
import { DemoCluster, ensureBroker } from './demo-support.js';

export interface AvroDemoResult {
  produced: number;
  consumed: number;
  byVendor: Record<number, { rides: number; revenue: number }>;
  /** The registry's answer to total_amount as a string. */
  breakingChange: string;
}

/** SCHEMA_REGISTRY_URL if one answers there, else `pnpm registry start` (REGISTRY_PORT, 8081). */
export async function ensureRegistry(): Promise<string> {
  const given = process.env.SCHEMA_REGISTRY_URL;
  if (given) return given;
  const { url, startedByUs } = await startRegistry();
  if (startedByUs)
    console.log(`no schema registry answers: started a local one at ${url} (pnpm registry start)`);
  process.env.SCHEMA_REGISTRY_URL = url;
  return url;
}

export async function runAvroDemo(): Promise<AvroDemoResult> {
  await ensureRegistry();
  const brokers = await ensureBroker();
  process.env.STROM_BROKER = brokers.join(',');
  process.env.STROM_LOG_LEVEL ??= 'warn';
  const { app, consumed, produceAvroRides, RIDES_AVRO_TOPIC, tryBreakingChange } = await import(
    './avro_rides.js'
  );
  const cluster = new DemoCluster(brokers);
  await cluster.reset([RIDES_AVRO_TOPIC], [app.id]);
  const produced = await produceAvroRides();
  const worker = app.createWorker();
  try {
    await worker.start();
    // every ride may hash to one partition, which waitConsumed (all partitions committed) would wait for forever
    const deadline = Date.now() + 60_000;
    while (consumed.rides < produced && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await worker.stop();
  }
  return {
    produced,
    consumed: consumed.rides,
    byVendor: consumed.byVendor,
    breakingChange: await tryBreakingChange(),
  };
}

export function avroSummary(r: AvroDemoResult): string {
  const vendors = Object.entries(r.byVendor)
    .map(([vendor, v]) => `vendor ${vendor}: ${v.rides} rides, $${v.revenue.toFixed(2)}`)
    .join('; ');
  return [
    `avro_rides          ${r.produced} rides sent as Avro through the schema registry, ${r.consumed} read back; ${vendors}`,
    `                    total_amount as a string refused: ${r.breakingChange}`,
  ].join('\n');
}
