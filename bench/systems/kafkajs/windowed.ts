/**
 * Scenario "windowed" as a hand-written kafkajs program: re-key the rides by pickup zone through
 * the repartition topic and count them per zone and 1-minute tumbling window of pickup time (see
 * count-pipeline.ts). Table keys are Strom's windowed keys, `[zone,startMs,endMs]`. Like Strom's
 * windowed table it keeps the stream time (the largest pickup time) per partition and drops a
 * ride whose window ended more than the grace (BENCH_GRACE_MS) before it; the harness sets a
 * grace longer than the input's span, so none is dropped and no window closes or expires.
 */
import { systemConfig } from '../protocol.js';
import { runCountPipeline } from './count-pipeline.js';

const MINUTE = 60_000;
const config = systemConfig();
const streamTimes = new Map<number, number>();
let late = 0;

await runCountPipeline(config, {
  groupKey: (ride) => ride.PULocationID,
  tableKey: (ride, partition) => {
    const time = Date.parse(ride.tpep_pickup_datetime);
    const streamTime = Math.max(streamTimes.get(partition) ?? time, time);
    streamTimes.set(partition, streamTime);
    const startMs = time - (((time % MINUTE) + MINUTE) % MINUTE);
    if (startMs + MINUTE + config.graceMs <= streamTime) {
      late += 1;
      if (late === 1) console.error(`a late ride: ${JSON.stringify(ride)}`);
      return undefined;
    }
    return `[${ride.PULocationID},${startMs},${startMs + MINUTE}]`;
  },
});
