/**
 * The small Kafka surface the rest of Strom talks to. Only this folder imports kafkajs;
 * another client (platformatic, confluent) would implement these interfaces.
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';

export type Headers = Record<string, string | Buffer>;

/**
 * Kafka client options an app passes through (the `kafka` setting): TLS, SASL, client id, timeouts
 * and retries. Strom's own type, so the public API does not change with the client library's.
 *
 * @example
 * new App({ id: 'shop', broker: 'b1:9094', kafka: { ssl: true, sasl: { mechanism: 'plain', username, password } } })
 */
export interface ConnectionOptions {
  /** Client id sent to the broker (default: the app id). */
  clientId?: string;
  /** `true` for TLS with the system's CAs, or Node's TLS options (`ca`, `key`, `cert`, ...). */
  ssl?: boolean | TlsConnectionOptions;
  sasl?: SaslOptions;
  /** Milliseconds to wait for a connection to a broker. */
  connectionTimeout?: number;
  /** Milliseconds to wait for SASL authentication. */
  authenticationTimeout?: number;
  /** Milliseconds to wait for a broker's answer to a request. */
  requestTimeout?: number;
  /** False lets a request wait past `requestTimeout`. */
  enforceRequestTimeout?: boolean;
  /** Retries of failed requests (default: 8, 100 ms doubling, at most 3 s apart). */
  retry?: RetryOptions;
}

/** SASL authentication, by mechanism. */
export type SaslOptions =
  | { mechanism: 'plain'; username: string; password: string }
  | { mechanism: 'scram-sha-256'; username: string; password: string }
  | { mechanism: 'scram-sha-512'; username: string; password: string }
  | {
      mechanism: 'aws';
      authorizationIdentity: string;
      accessKeyId: string;
      secretAccessKey: string;
      sessionToken?: string;
    }
  | { mechanism: 'oauthbearer'; oauthBearerProvider: () => Promise<{ value: string }> };

/** Backoff of failed requests: `initialRetryTime` ms, times `multiplier` per retry, up to `maxRetryTime` ms. */
export interface RetryOptions {
  retries?: number;
  initialRetryTime?: number;
  maxRetryTime?: number;
  multiplier?: number;
  /** Random spread of each wait, 0 to 1. */
  factor?: number;
}

/** A record as it arrives (its topic and partition are on the batch). */
export interface InboundMessage {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Milliseconds since the epoch, as a string (Kafka's int64). */
  readonly timestamp: string;
  readonly headers: Readonly<Record<string, Buffer | string | undefined>>;
}

/**
 * The input record being processed when a record was sent. A record the broker refuses goes to
 * the dead-letter topic of its origin's topic (a stream event has these fields, so it serves as one).
 */
export interface RecordOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** A record to produce. Without `partition` the producer picks one from the key (murmur2, like Java). */
export interface OutRecord {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  partition?: number;
  headers?: Headers;
  timestamp?: string;
  /** Where it comes from, when sent while an event was processed. */
  origin?: RecordOrigin;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  config?: Record<string, string>;
}

export interface PartitionOffsets {
  partition: number;
  /** first offset still in the log */
  low: string;
  /** next offset to be written (the high watermark) */
  high: string;
}

export interface AdminClient {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  /** Creates the topics that do not exist yet; returns the names it created. */
  createTopics(topics: TopicSpec[]): Promise<string[]>;
  /** Partition count per topic; topics that don't exist are absent from the map. */
  partitionCounts(topics: string[]): Promise<Map<string, number>>;
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  groupOffsets(groupId: string, topics: string[]): Promise<Map<string, Map<number, string>>>;
  /** The members of a consumer group and what each is assigned (empty if the group is empty). */
  groupMembers(groupId: string): Promise<GroupMember[]>;
  /**
   * The effective value of the config `names` of each topic (set on the topic, else the broker's
   * default); topics that don't exist are absent from the map.
   */
  topicConfigs(topics: string[], names: string[]): Promise<Map<string, Record<string, string>>>;
  /**
   * Deletes the records of `topic` before the given offsets (the partitions' log start moves
   * there); an offset at or below the log start changes nothing.
   */
  deleteRecords(topic: string, before: ReadonlyArray<{ partition: number; offset: string }>): Promise<void>;
  /** Deletes topics; resolves once the broker accepted it. Topics that do not exist are ignored. */
  deleteTopics(topics: string[]): Promise<void>;
  /** Deletes a consumer group and its committed offsets; the broker refuses while it has members. */
  deleteGroup(groupId: string): Promise<'deleted' | 'missing' | 'has-members'>;
}

export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
  assignment: Assignment[];
  /** The assignor's data for this member (standby duties for Strom's assignor). */
  userData: Buffer | undefined;
}

export interface ProducerClient {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /**
   * Sends records (any topics) and resolves when the broker acknowledged all of them, with the
   * offset of the last record written per `topic:partition`. Rejects with a
   * `RecordsRefusedError` when records cannot be written for what they are (too large, invalid,
   * for a topic or partition that does not exist), with any other error when sending may work
   * later (a broker lost, a timeout).
   */
  send(records: OutRecord[]): Promise<Map<string, bigint>>;
}

/**
 * A producer for exactly-once processing: its sends go into one open transaction at a time
 * (begun by the first send after a commit), which `commit` closes together with a consumer
 * group's offset. Connecting it fences any earlier producer with the same transactional id.
 */
export interface TransactionalProducerClient extends ProducerClient {
  /** Adds `offset` (the next offset to read) of the group to the open transaction and commits it. */
  commit(offset: { groupId: string; topic: string; partition: number; offset: string }): Promise<void>;
  /** Aborts the open transaction, if there is one. */
  abort(): Promise<void>;
}

export interface InboundBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly InboundMessage[];
  readonly highWatermark: string;
}

/** What a batch handler may do with the consumer while it holds a batch. */
export interface BatchControl {
  /** Marks every offset up to `offset` as processed: it will be committed and not fetched again. */
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  /** Commits this batch's partition up to and including `offset` now. */
  commit(offset: string): Promise<void>;
  isRunning(): boolean;
  /** True when the batch was made stale by a seek or a lost partition. */
  isStale(): boolean;
}

export type BatchHandler = (batch: InboundBatch, control: BatchControl) => Promise<void>;

/** The app setting `offsetCommit`: when offsets the handler resolved are committed. */
export type OffsetCommitTiming = 'every-batch' | 'pipelined' | 'interval';

export interface ConsumerRunOptions {
  eachBatch: BatchHandler;
  /**
   * True: offsets the handler resolved are committed after every batch, before a rebalance and
   * on stop. False (exactly-once): offsets are committed only inside transactions.
   */
  autoCommit: boolean;
  /**
   * With autoCommit, when the offsets the handler resolved are committed:
   * - `every-batch`: after every batch, and the next fetch waits for the commit (kafkajs' own).
   * - `pipelined`: after every batch, but the next fetch does not wait: one commit in flight,
   *   the next one carries what was resolved meanwhile.
   * - `interval`: every `commitIntervalMs`.
   * All three also commit before a rebalance and on stop.
   */
  commitTiming?: OffsetCommitTiming;
  /**
   * `pipelined`: how long a commit may be out before the next batch waits for it (what a crash
   * may redo beyond the batch); `interval`: how often to commit.
   */
  commitIntervalMs: number;
  /** How many partitions' batches may be in the handler at once. */
  partitionsConsumedConcurrently: number;
}

export interface Assignment {
  topic: string;
  partitions: number[];
}

export interface ConsumerClient {
  connect(): Promise<void>;
  subscribe(topics: string[], fromBeginning: boolean): Promise<void>;
  run(options: ConsumerRunOptions): Promise<void>;
  /** Finishes in-flight batches, commits what they resolved and leaves the group. */
  stop(): Promise<void>;
  disconnect(): Promise<void>;
  onGroupJoin(listener: (assignment: Assignment[], memberId: string) => void): () => void;
  /** Called when the group starts a rebalance: this member's partitions may move. */
  onRebalancing(listener: () => void): () => void;
  /**
   * Called when the consumer crashed: `restarting` when the error is retriable and it rejoins
   * by itself (see ConsumerOptions.mayRestart), false when it gave up.
   */
  onCrash(listener: (error: Error, restarting: boolean) => void): () => void;
}

/** A partition assignment strategy for the app's consumer group (computed by the group leader). */
export interface GroupAssignor {
  readonly name: string;
  readonly version: number;
  /** What this member sends when it joins. */
  userData(): Buffer;
  /** Leader only: partitions (and data) for every member. */
  assign(
    members: ReadonlyArray<{ memberId: string; topics: string[]; userData: Buffer }>,
    partitionCounts: ReadonlyMap<string, number>,
  ): Map<string, { assignment: Assignment[]; userData: Buffer }>;
}

export interface ConsumerOptions {
  groupId: string;
  /** Default: kafkajs' round robin. */
  assignor?: GroupAssignor;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxBytesPerPartition: number;
  /** How long the broker may hold a fetch open waiting for data (also bounds how fast stop() is). */
  maxWaitTimeMs: number;
  readCommitted: boolean;
  /**
   * Asked when the consumer crashed on a retriable error: may it rejoin the group? A stopping
   * worker answers false, so it never rejoins after it began to leave.
   */
  mayRestart?: () => boolean;
}

export interface ProducerOptions {
  /** -1 = all in-sync replicas */
  acks: -1 | 0 | 1;
  /**
   * Sequence numbers per partition, so a retried request is not written twice (needs acks -1).
   * Retries stay bounded: a broker gone for longer fails the send instead of retrying forever.
   */
  idempotent: boolean;
}

/**
 * Reads chosen partitions of changelog topics between two offsets, outside the app's consumer
 * group (recovery of table partitions, standbys). Reads committed records only: records of
 * aborted transactions are skipped, and their markers still count as progress.
 */
export interface ChangelogReader {
  /** Subscribes to these topics; every partition stays paused until it is read. */
  start(topics: string[]): Promise<void>;
  /**
   * Hands the records of `topic`/`partition` with offsets in [from, until) to `apply`, in order,
   * and resolves once the partition was read up to `until` (at once if from >= until).
   */
  read(
    topic: string,
    partition: number,
    from: string,
    until: string,
    apply: (messages: readonly InboundMessage[]) => void | Promise<void>,
  ): Promise<void>;
  /**
   * Keeps applying new records of `topic`/`partition` from `from` on (a standby copy), until
   * the handle is stopped; `stop()` resolves with the next offset to read.
   */
  follow(
    topic: string,
    partition: number,
    from: string,
    apply: (messages: readonly InboundMessage[]) => void | Promise<void>,
  ): FollowHandle;
  stop(): Promise<void>;
}

export interface FollowHandle {
  stop(): Promise<string>;
}

/** Creates clients that share one connection configuration. */
export interface ChangelogReaderOptions {
  groupId: string;
  maxBytesPerPartition: number;
  /** Session timeout of the reader's own one-member group (default kafkajs' 30 s). */
  sessionTimeoutMs?: number;
}

export interface KafkaClient {
  admin(): AdminClient;
  producer(options: ProducerOptions): ProducerClient;
  /** A transactional producer with a stable id (exactly-once: one per input partition). */
  transactionalProducer(options: { transactionalId: string }): TransactionalProducerClient;
  consumer(options: ConsumerOptions): ConsumerClient;
  changelogReader(options: ChangelogReaderOptions): ChangelogReader;
}
