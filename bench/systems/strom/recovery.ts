/**
 * Scenario "recovery" on Strom: the table `counts` (default 0) on the store of BENCH_STORE, whose
 * changelog the harness wrote; an agent reads the probe topic and looks each probe's key up in
 * the table. Strom makes a partition's table current before it runs that partition's events, so
 * the probe of a partition is processed once that partition is restored (see
 * ../recovery-table.ts for what the program reports).
 *
 * Strom reports no "assigned": it runs at log level info, and the harness takes the time of
 * its `partitions assigned` log line (the moment the worker starts its recoveries).
 */
import { App, stopOnSignals } from '@strom/core';
import { report, systemConfig } from '../protocol.js';
import { Probes, storeConfig, TABLE, TableDigest } from '../recovery-table.js';

const config = systemConfig();
const { store, stateDir } = storeConfig();

const app = new App({
  id: config.group,
  broker: config.broker,
  topicPartitions: 4,
  logLevel: 'info',
  store,
  stateDir,
});
const counts = app.table<string, number>(TABLE, { default: () => 0 });
if (counts.changelog.name !== config.output) {
  throw new Error(`the table's changelog is ${counts.changelog.name}, the harness wrote ${config.output}`);
}
const probes = new Probes();

app.agent(app.topic<unknown, string>(config.probe), async function recovery(stream) {
  for await (const probe of stream.events()) {
    if (!probes.processed(probe.partition, await counts.get(probe.key))) continue;
    const digest = new TableDigest();
    for await (const [key, value] of counts.entries()) digest.add(key, value);
    digest.report(worker.recoveries.reduce((n, r) => n + r.records, 0));
  }
});

const worker = app.createWorker();
stopOnSignals(worker);
await worker.start();
report({ ready: Date.now() });
process.exitCode = await worker.finished;
