/**
 * Opt-in (`BENCH_COUNT_REQUESTS=1`): counts the Kafka requests this process sends, per API, and
 * reports the running totals every 500 ms as `@@bench {"requestsAt": ms, "process": i, ...}`
 * lines, so requests per 1,000 events can be compared between 1 and N worker processes (a
 * deterministic figure on a shared machine, where CPU seconds drift). kafkajs writes every
 * request to its socket as one buffer: int32 size, int16 API key, ...
 */
import { Socket } from 'node:net';
import { report } from './protocol.js';

/** The Kafka API keys the programs send (others are counted under their number). */
const API_NAMES: Record<number, string> = {
  0: 'produce',
  1: 'fetch',
  2: 'listOffsets',
  3: 'metadata',
  8: 'offsetCommit',
  9: 'offsetFetch',
  10: 'findCoordinator',
  11: 'joinGroup',
  12: 'heartbeat',
  13: 'leaveGroup',
  14: 'syncGroup',
  18: 'apiVersions',
  22: 'initProducerId',
};

const REPORT_EVERY_MS = 500;

export function countRequests(processIndex: number): void {
  const counts: Record<string, number> = {};
  const write = Socket.prototype.write as (this: Socket, ...args: unknown[]) => boolean;
  Socket.prototype.write = function countedWrite(this: Socket, ...args: unknown[]): boolean {
    const chunk = args[0];
    if (Buffer.isBuffer(chunk) && chunk.length >= 6) {
      const key = chunk.readInt16BE(4);
      const name = API_NAMES[key] ?? `api${key}`;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return write.apply(this, args);
  } as Socket['write'];
  setInterval(
    () => report({ requestsAt: Date.now(), process: processIndex, ...counts }),
    REPORT_EVERY_MS,
  ).unref();
}
