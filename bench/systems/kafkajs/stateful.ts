/**
 * Scenario "stateful" as a hand-written kafkajs program: re-key the rides by vendorId through
 * the repartition topic and count them per vendor, every new count to the changelog (see
 * count-pipeline.ts). Table keys are the vendorId's JSON text, as in Strom and Faust.
 */
import { systemConfig } from '../protocol.js';
import { runCountPipeline } from './count-pipeline.js';

await runCountPipeline(systemConfig(), {
  groupKey: (ride) => ride.vendorId,
  tableKey: (ride) => JSON.stringify(ride.vendorId),
});
