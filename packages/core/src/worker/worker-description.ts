/** Where a worker is in its life; it only moves forward (see STATE_ORDER in worker.ts). */
export type WorkerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed';

/** What the banner and `strom agents/topics` show about a started worker. */
export interface WorkerDescription {
  appId: string;
  brokers: string[];
  agents: Array<{ name: string; topics: string[]; concurrency: number }>;
  topics: Array<{ name: string; partitions: number; internal: boolean }>;
  tables: string[];
}
