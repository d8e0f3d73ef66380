/**
 * Strom: stream processing for TypeScript on Kafka, in the style of Faust.
 *
 * @example
 * import { App, z } from '@strom/core'
 * const app = new App({ id: 'hello', broker: 'localhost:9092' })
 * const greetings = app.topic('greetings', { value: z.object({ name: z.string() }) })
 * app.agent(greetings, async (stream) => {
 *   for await (const g of stream) console.log(`hello ${g.name}`)
 * })
 * app.main()
 */
export { z } from 'zod';
export type { ResetPlan } from './admin/app-reset.js';
export type { ReadTopicOptions, RecordsHandler, TopicRecord } from './admin/topic-reader.js';
export type { AgentErrorPolicy, AgentFn, AgentOptions, Sink } from './agents/agent.js';
export { Agent } from './agents/agent.js';
export type { AgentSource } from './app/app.js';
export { App } from './app/app.js';
export type { AppOptions, AppSettings } from './app/settings.js';
export { appSettingsSchema } from './app/settings.js';
export type { AvroCodecOptions } from './codecs/avro-codec.js';
export { avroCodec } from './codecs/avro-codec.js';
export type { CompatibilityLevel } from './codecs/avro-compatibility.js';
export { COMPATIBILITY_LEVELS, compatibilityProblems } from './codecs/avro-compatibility.js';
export type { AvroMeta, AvroSchema, DerivedAvro } from './codecs/avro-schema.js';
export { zodToAvro } from './codecs/avro-schema.js';
export type { Codec, CodecBinding, CodecName, CodecSpec } from './codecs/codecs.js';
export { jsonCodec, rawCodec, stringCodec } from './codecs/codecs.js';
export type { SubjectVersion } from './codecs/schema-registry-client.js';
export {
  DEFAULT_SCHEMA_REGISTRY_URL,
  SchemaRegistryClient,
  SchemaRegistryError,
} from './codecs/schema-registry-client.js';
export type { RefusedRecord, StromErrorCode } from './errors/errors.js';
export {
  ConfigError,
  isRecordsRefused,
  isStromError,
  RecordsRefusedError,
  StromError,
} from './errors/errors.js';
export type { ForeignKeyJoiner, ForeignKeyJoinKind, ForeignKeyJoinOptions } from './joins/foreign-key.js';
export type { JoinTimestamp, JoinWindowOptions } from './joins/join-windows.js';
export { JoinWindows } from './joins/join-windows.js';
export type { TableJoinKey } from './joins/stream-table.js';
export type { TableJoiner, TableJoinKind, TableJoinOptions } from './joins/table-table.js';
export type { JoinKind } from './joins/types.js';
export type { LogFormat, Logger, LogLevel } from './logging/logger.js';
export { createLogger, LOG_LEVELS } from './logging/logger.js';
export { MemoryStore } from './stores/memory-store.js';
export type { StoreDamage } from './stores/rocksdb-damage.js';
export { StoreDamagedError } from './stores/rocksdb-damage.js';
export type { RocksDbStoreOptions } from './stores/rocksdb-store.js';
export { RocksDbStore, StoreLockedError } from './stores/rocksdb-store.js';
export type { PartitionStore, Store, StoreWrite } from './stores/types.js';
export type { EventInfo } from './streams/event.js';
export type { Branches, BranchSpec, TakeOptions } from './streams/stream.js';
export { Stream } from './streams/stream.js';
export type { TableOptions } from './tables/table.js';
export { Table } from './tables/table.js';
export type { RecoveryReport } from './tables/table-manager.js';
export type { ClosedWindow, WindowOptions, WindowValue } from './tables/windowed-table.js';
export { WindowedTable } from './tables/windowed-table.js';
export type { Decoded, SendOptions, TopicOptions } from './topics/topic.js';
export { deadLetterTopicName, Topic } from './topics/topic.js';
export type {
  ConnectionOptions,
  Headers,
  OutRecord,
  RecordOrigin,
  RetryOptions,
  SaslOptions,
} from './transport/types.js';
export type {
  DashboardSnapshot,
  RecoveryInProgress,
  TableRecoveryProgress,
} from './web/dashboard/dashboard-feed.js';
export type { PartitionSeries, ThroughputPoint } from './web/dashboard/offset-sampler.js';
export type {
  Topology,
  TopologyEdge,
  TopologyEdgeKind,
  TopologyNode,
  TopologyNodeKind,
} from './web/dashboard/topology.js';
export type { TableClient, TableClientOptions, WindowEntry } from './web/table-client.js';
export { createTableClient } from './web/table-client.js';
export type { WebRoutes } from './web/web-server.js';
export type { WorkerView } from './web/worker-view.js';
export type { Aggregator, TimeWindow, WindowedKey } from './windows/index.js';
export { aggregate, count, max, mean, min, reduce, sum } from './windows/index.js';
export type { RecentDeadLetter } from './worker/dead-letters.js';
export { DEAD_LETTER_HEADERS } from './worker/dead-letters.js';
export { stopOnSignals, stopOnUnhandledErrors } from './worker/signals.js';
export { WORKER_EXIT, Worker } from './worker/worker.js';
export type { WorkerDescription, WorkerState } from './worker/worker-description.js';
