/**
 * Micro-benchmark of what the Prometheus metrics cost a worker per event (docs/web.md): the
 * calls the worker makes per fetched batch, commit and produce request, in process, no broker.
 * Compare with the CPU a worker spends per event in `pnpm bench` (docs/benchmarks.md).
 *
 *   pnpm exec tsx bench/micro/worker-metrics.ts [events] [batchRecords]
 */

import { WorkerMetrics } from '../../packages/core/src/metrics/worker-metrics.js';
import type { OutRecord } from '../../packages/core/src/transport/types.js';

const events = Number(process.argv[2] ?? 2_000_000);
const batchRecords = Number(process.argv[3] ?? 500);
const partitions = 4;
const metrics = new WorkerMetrics('micro-metrics', {
  producerQueue: () => 0,
  deadLetters: () => new Map(),
  recovering: () => [],
  recoveries: () => [],
  tables: () => [],
});
const agents = [{ agent: { name: 'countRides' } }];
// a produce request as a stateful worker sends it: repartition copies and changelog records
const request: OutRecord[] = Array.from({ length: 2000 }, (_, i) => ({
  topic: i % 2 === 0 ? 'app-vendor-repartition' : 'app-counts-changelog',
  key: null,
  value: null,
}));

const cpuBefore = process.cpuUsage();
const started = process.hrtime.bigint();
let offset = 0;
for (let done = 0; done < events; done += batchRecords) {
  const partition = (done / batchRecords) % partitions;
  offset += batchRecords;
  metrics.batchFetched('rides', partition, batchRecords, String(offset + 1000), String(offset));
  metrics.eventsDelivered('rides', agents, batchRecords);
  metrics.batchProcessed('rides', 0.004);
  metrics.committed(0.002);
  // one produce request per 1000 events (2000 records: a repartition copy and a changelog record each)
  if (done % 1000 === 0) metrics.delivered(request);
}
const wallNs = Number(process.hrtime.bigint() - started);
const cpu = process.cpuUsage(cpuBefore);
const cpuNs = (cpu.user + cpu.system) * 1000;
const scrapeStarted = process.hrtime.bigint();
const { body } = await metrics.scrape();
const scrapeMs = Number(process.hrtime.bigint() - scrapeStarted) / 1e6;
console.log(
  JSON.stringify({
    events,
    batchRecords,
    cpuNsPerEvent: Number((cpuNs / events).toFixed(2)),
    wallNsPerEvent: Number((wallNs / events).toFixed(2)),
    scrapeMs: Number(scrapeMs.toFixed(2)),
    scrapeBytes: body.length,
  }),
);
