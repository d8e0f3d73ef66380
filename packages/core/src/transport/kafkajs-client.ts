import type {
  Admin,
  ConfigResourceTypes,
  Consumer,
  EachBatchPayload,
  Kafka,
  LogEntry,
  PartitionAssigner,
  PartitionMetadata,
  Producer,
  Transaction,
} from 'kafkajs';
import { BackgroundCommits } from './background-commits.js';
import { kafkajs } from './kafkajs-loader.js';

const { AssignerProtocol, Kafka: KafkaClass, logLevel: KafkaLogLevel, Partitioners } = kafkajs;
type KafkaLogLevel = (typeof KafkaLogLevel)[keyof typeof KafkaLogLevel];

import { describeError, RecordsRefusedError, type RefusedRecord } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { type BrokerAddress, probeEmptyBatches } from './empty-batch-probe.js';
import type {
  AdminClient,
  Assignment,
  ChangelogReader,
  ChangelogReaderOptions,
  ConnectionOptions,
  ConsumerClient,
  ConsumerOptions,
  ConsumerRunOptions,
  FollowHandle,
  GroupAssignor,
  GroupMember,
  InboundMessage,
  KafkaClient,
  OutRecord,
  PartitionOffsets,
  ProducerClient,
  ProducerOptions,
  TopicSpec,
  TransactionalProducerClient,
} from './types.js';

/** Connection settings passed through to kafkajs (SASL and SSL included). */
export type ClientConnection = ConnectionOptions & { brokers: string[] };

/**
 * kafkajs levels one step down in ours: it logs every connection retry as an error and
 * routine group events as info, which would drown the worker's own lines.
 */
const DEMOTED_LEVELS: Record<number, 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'warn',
  [KafkaLogLevel.WARN]: 'info',
  [KafkaLogLevel.INFO]: 'debug',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/**
 * kafkajs warns about bounded retries of an idempotent producer whenever one is created; the
 * bound is deliberate (see KafkaJsProducer), so the line says nothing to the user.
 */
const SILENCED_MESSAGES = new Set([
  'Limiting retries for the idempotent producer may invalidate EoS guarantees',
]);

/**
 * kafkajs lines that are debug detail here: a broker's error answer (`Response CreateTopics…`)
 * is also thrown to the caller, which retries or reports it once in its own words; a consumer
 * crash it restarts from is reported by the worker as one line (a coordinator still loading
 * after a broker start showed up as stack traces before every demo run).
 */
const DETAIL_MESSAGES = /^(Response \w+\(key: \d+, version: \d+\)$|Crash: |Restarting the consumer in )/;

function kafkaLogCreator(log: Logger) {
  const child = log.child({ component: 'kafkajs' });
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...rest } = entry;
      if (SILENCED_MESSAGES.has(message)) return;
      const demoted = DETAIL_MESSAGES.test(message) ? 'debug' : (DEMOTED_LEVELS[level] ?? 'debug');
      child[demoted](rest, message);
    };
}

function kafkaLogLevel(log: Logger): KafkaLogLevel {
  if (log.isLevelEnabled('debug')) return KafkaLogLevel.INFO;
  if (log.isLevelEnabled('info')) return KafkaLogLevel.WARN;
  return KafkaLogLevel.ERROR;
}

export function createKafkaJsClient(connection: ClientConnection, log: Logger): KafkaClient {
  const kafka = new KafkaClass({
    ...connection,
    logLevel: kafkaLogLevel(log),
    logCreator: kafkaLogCreator(log),
  });
  return {
    admin: () => new KafkaJsAdmin(kafka.admin()),
    producer: (options) => new KafkaJsProducer(kafka, options),
    transactionalProducer: (options) => new KafkaJsTransactionalProducer(kafka, options.transactionalId),
    consumer: (options) => new KafkaJsConsumer(kafka, options),
    changelogReader: (options) =>
      new KafkaJsChangelogReader(kafka, options, {
        log,
        // the probe speaks plaintext or TLS; it cannot authenticate (SASL)
        probe: connection.sasl
          ? undefined
          : { tls: Boolean(connection.ssl), clientId: connection.clientId ?? 'strom' },
      }),
  };
}

/**
 * Send retries of the idempotent producer: with kafkajs' backoff (100 ms doubling, at most
 * 3 s apart by the app's default retry settings) about 45 s of a broker or leader gone.
 */
const IDEMPOTENT_SEND_RETRIES = 18;
/** Times a send repeats the records of partitions kafkajs skipped (kafkajs#1303) before it fails. */
const UNACKNOWLEDGED_RESENDS = 3;

/** Errors a topic gives for a moment after it was created or deleted: worth waiting out. */
const TRANSIENT_TOPIC_ERRORS = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER',
]);

/**
 * Errors the broker gives a produce request for the records in it, not for a passing condition:
 * sending the same records again fails again.
 */
const REFUSING_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
  'CORRUPT_MESSAGE',
  'INVALID_TOPIC_EXCEPTION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
]);

/** The first kafkajs error type of `types` in the chain of causes of `error`. */
function errorTypeIn(error: unknown, types: ReadonlySet<string>): string | undefined {
  for (
    let e: unknown = error;
    e instanceof Error;
    e = (e as { cause?: unknown }).cause ?? (e as { originalError?: unknown }).originalError
  ) {
    const type = (e as { type?: string }).type;
    if (type && types.has(type)) return type;
  }
  return undefined;
}

function isTransientTopicError(error: unknown): boolean {
  return errorTypeIn(error, TRANSIENT_TOPIC_ERRORS) !== undefined;
}

/** `ConfigResourceTypes.TOPIC`: kafkajs' CommonJS exports do not show that enum to ESM importers. */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** How long a topic found absent is taken as absent before the producer looks again. */
const ABSENT_TOPIC_RECHECK_MS = 10_000;

/** True when every error of a createTopics failure says the topic exists already. */
function onlyAlreadyExists(error: unknown): boolean {
  const errors = (error as { errors?: unknown[] }).errors;
  return (
    Array.isArray(errors) &&
    errors.length > 0 &&
    errors.every((e) => (e as { type?: string }).type === 'TOPIC_ALREADY_EXISTS')
  );
}

async function whileTopicsSettle<T>(operation: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      if (!isTransientTopicError(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

class KafkaJsAdmin implements AdminClient {
  constructor(private readonly admin: Admin) {}

  connect(): Promise<void> {
    return this.admin.connect();
  }

  disconnect(): Promise<void> {
    return this.admin.disconnect();
  }

  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  /**
   * Creates the missing topics and returns their names. Several workers (or apps) may create the
   * same topics at once, and a topic deleted a moment ago may fail its leader wait: any error is
   * retried for up to 15 s, each time creating only what the broker still lacks.
   */
  async createTopics(topics: TopicSpec[]): Promise<string[]> {
    const created: string[] = [];
    const deadline = Date.now() + 15_000;
    for (;;) {
      const existing = new Set(await this.admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (missing.length === 0) return created;
      try {
        await this.admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((t) => ({
            topic: t.topic,
            numPartitions: t.partitions,
            replicationFactor: t.replicationFactor,
            configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
          })),
        });
        created.push(...missing.map((t) => t.topic));
      } catch (error) {
        // another worker or app created them first: they exist, which is all that is asked
        if (onlyAlreadyExists(error)) return created;
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  async partitionCounts(topics: string[]): Promise<Map<string, number>> {
    const existing = new Set(await this.admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    const counts = new Map<string, number>();
    if (present.length === 0) return counts;
    const { topics: metadata } = await whileTopicsSettle(() =>
      this.admin.fetchTopicMetadata({ topics: present }),
    );
    for (const t of metadata) counts.set(t.name, t.partitions.length);
    return counts;
  }

  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const offsets = await whileTopicsSettle(() => this.admin.fetchTopicOffsets(topic));
    return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high }));
  }

  groupMembers(groupId: string): Promise<GroupMember[]> {
    return groupMembersOf(this.admin, groupId);
  }

  async topicConfigs(topics: string[], names: string[]): Promise<Map<string, Record<string, string>>> {
    const existing = new Set(await this.admin.listTopics());
    const present = [...new Set(topics)].filter((t) => existing.has(t));
    const configs = new Map<string, Record<string, string>>();
    if (present.length === 0) return configs;
    const { resources } = await whileTopicsSettle(() =>
      this.admin.describeConfigs({
        includeSynonyms: false,
        resources: present.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: names })),
      }),
    );
    for (const r of resources) {
      configs.set(
        r.resourceName,
        Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue])),
      );
    }
    return configs;
  }

  async deleteRecords(
    topic: string,
    before: ReadonlyArray<{ partition: number; offset: string }>,
  ): Promise<void> {
    // kafkajs warns about offsets below the log start, and the broker refuses ones past the end
    const bounds = new Map((await this.topicOffsets(topic)).map((o) => [o.partition, o]));
    const partitions = before.flatMap(({ partition, offset }) => {
      const bound = bounds.get(partition);
      if (!bound || BigInt(offset) <= BigInt(bound.low)) return [];
      const capped = BigInt(offset) > BigInt(bound.high) ? bound.high : offset;
      return [{ partition, offset: capped }];
    });
    if (partitions.length > 0) await this.admin.deleteTopicRecords({ topic, partitions });
  }

  async deleteTopics(topics: string[]): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await this.admin.deleteTopics({ topics: present });
  }

  async deleteGroup(groupId: string): Promise<'deleted' | 'missing' | 'has-members'> {
    try {
      await this.admin.deleteGroups([groupId]);
      return 'deleted';
    } catch (error) {
      const type = (error as { groups?: Array<{ error?: { type?: string } }> }).groups?.[0]?.error?.type;
      if (type === 'GROUP_ID_NOT_FOUND') return 'missing';
      if (type === 'NON_EMPTY_GROUP') return 'has-members';
      throw error;
    }
  }

  async groupOffsets(groupId: string, topics: string[]): Promise<Map<string, Map<number, string>>> {
    const result = new Map<string, Map<number, string>>();
    const offsets = await this.admin.fetchOffsets({ groupId, topics });
    for (const t of offsets) {
      result.set(t.topic, new Map(t.partitions.map((p) => [p.partition, p.offset])));
    }
    return result;
  }
}

async function groupMembersOf(admin: Admin, groupId: string): Promise<GroupMember[]> {
  const { groups } = await admin.describeGroups([groupId]);
  return (groups[0]?.members ?? []).map((m) => {
    const decoded =
      m.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
    return {
      memberId: m.memberId,
      clientId: m.clientId,
      host: m.clientHost,
      assignment: Object.entries(decoded?.assignment ?? {}).map(([topic, partitions]) => ({
        topic,
        partitions,
      })),
      userData: decoded?.userData,
    };
  });
}

/** Runs a GroupAssignor as a kafkajs partition assigner. */
function toKafkaJsAssigner(spec: GroupAssignor): PartitionAssigner {
  return ({ cluster }) => ({
    name: spec.name,
    version: spec.version,
    protocol: ({ topics }) => ({
      name: spec.name,
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: spec.version,
        topics,
        userData: spec.userData(),
      }),
    }),
    assign: async ({ members, topics }) => {
      const decoded = members.map((m) => {
        const metadata = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
        return {
          memberId: m.memberId,
          topics: metadata?.topics ?? [],
          userData: metadata?.userData ?? Buffer.alloc(0),
        };
      });
      const counts = new Map(topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).length]));
      const result = spec.assign(decoded, counts);
      return members.map((m) => {
        const mine = result.get(m.memberId);
        return {
          memberId: m.memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: spec.version,
            assignment: Object.fromEntries((mine?.assignment ?? []).map((a) => [a.topic, a.partitions])),
            userData: mine?.userData ?? Buffer.alloc(0),
          }),
        };
      });
    },
  });
}

/**
 * Sends batches with kafkajs, with every record's partition chosen here (kafkajs' own murmur2
 * partitioner, so the same partitions as the Java client) and every partition checked in the
 * acknowledgement: kafkajs 2.2.4 can report success for a batch spanning several leaders when
 * one of them fails over, without having written that leader's records (tulios/kafkajs#1303).
 * The records of a missing partition are sent again; if it is still missing after
 * UNACKNOWLEDGED_RESENDS, the send fails, so the worker does not commit and the batch runs again.
 */
class KafkaJsProducer implements ProducerClient {
  protected readonly producer: Producer;
  private readonly admin: Admin;
  private readonly acks: number;
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private readonly partitionMetadata = new Map<string, PartitionMetadata[]>();
  /** Topics found absent, and when. */
  private readonly absentTopics = new Map<string, number>();

  constructor(kafka: Kafka, options: ProducerOptions, transactionalId?: string) {
    // the broker keeps sequence numbers only for acks=all writes
    const idempotent = options.idempotent && options.acks === -1;
    this.acks = options.acks;
    this.admin = kafka.admin();
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent,
      ...(transactionalId === undefined ? {} : { transactionalId }),
      // bounded (kafkajs merges it into the client's retry settings): with the broker gone for
      // longer the send fails, the worker stops with an error and nothing of the batch is
      // committed, instead of hanging without a word (see docs/reliability.md)
      ...(idempotent ? { retry: { retries: IDEMPOTENT_SEND_RETRIES } } : {}),
      // one request at a time per broker: kafkajs needs it to keep sequence numbers in order
      ...(idempotent ? { maxInFlightRequests: 1 } : {}),
      allowAutoTopicCreation: false,
    });
  }

  async connect(): Promise<void> {
    await this.admin.connect();
    await this.producer.connect();
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
    await this.admin.disconnect();
  }

  async send(records: OutRecord[]): Promise<Map<string, bigint>> {
    const lastOffsets = new Map<string, bigint>();
    if (records.length === 0) return lastOffsets;
    const unwritable = await this.unwritable(records);
    if (unwritable.length > 0) {
      throw new RecordsRefusedError(
        `${unwritable.length} record(s) have nowhere to go: ${unwritable[0]!.reason}`,
        {
          refused: unwritable,
        },
      );
    }
    for (const r of records) {
      r.partition ??= this.partitioner({
        topic: r.topic,
        partitionMetadata: this.partitionMetadata.get(r.topic)!,
        message: { key: r.key, value: r.value },
      });
    }
    let pending = records;
    for (let resent = 0; ; resent++) {
      const missing = await this.sendOnce(pending, lastOffsets);
      if (missing.size === 0) return lastOffsets;
      if (resent === UNACKNOWLEDGED_RESENDS) {
        throw new Error(
          `the broker did not acknowledge ${[...missing].join(', ')} (leader change?); the records will be sent again`,
        );
      }
      // kafkajs#1303 skipped these partitions: send their records again, the same ones in the same
      // order, so that the idempotent producer repeats the very batch (and sequence numbers) a
      // leader that died after writing it may have replicated: the broker then answers with the
      // offsets it already has instead of OUT_OF_ORDER_SEQUENCE_NUMBER
      pending = pending.filter((r) => missing.has(`${r.topic}:${r.partition}`));
    }
  }

  /** One sendBatch; records the last offset per acknowledged partition, returns the others. */
  private async sendOnce(records: OutRecord[], lastOffsets: Map<string, bigint>): Promise<Set<string>> {
    const byTopic = new Map<string, OutRecord[]>();
    const sent = new Set<string>();
    const counts = new Map<string, number>();
    for (const r of records) {
      const id = `${r.topic}:${r.partition}`;
      sent.add(id);
      counts.set(id, (counts.get(id) ?? 0) + 1);
      let list = byTopic.get(r.topic);
      if (!list) byTopic.set(r.topic, (list = []));
      list.push(r);
    }
    let acknowledged: Awaited<ReturnType<Producer['sendBatch']>>;
    try {
      acknowledged = await (await this.batchTarget()).sendBatch({
        acks: this.acks,
        topicMessages: [...byTopic].map(([topic, messages]) => ({
          topic,
          messages: messages.map((m) => ({
            key: m.key,
            value: m.value,
            partition: m.partition,
            headers: m.headers,
            timestamp: m.timestamp,
          })),
        })),
      });
    } catch (error) {
      throw (await this.refusal(error, records)) ?? error;
    }
    if (this.acks === 0) return new Set();
    for (const a of acknowledged) {
      const id = `${a.topicName}:${a.partition}`;
      sent.delete(id);
      if (a.baseOffset !== undefined)
        lastOffsets.set(id, BigInt(a.baseOffset) + BigInt((counts.get(id) ?? 1) - 1));
    }
    return sent;
  }

  /** Where a request goes: the producer itself (a transactional one sends into its transaction). */
  protected async batchTarget(): Promise<Pick<Producer, 'sendBatch'>> {
    return this.producer;
  }

  /**
   * The records for topics or partitions that do not exist (after the usual wait for a new
   * topic). kafkajs would retry them for long, or skip an unknown partition and report success.
   */
  private async unwritable(records: OutRecord[]): Promise<RefusedRecord[]> {
    await this.loadTopics(records);
    let refused = this.withoutDestination(records);
    // partitions may have been added since the metadata was read: read it again, once
    const stale = new Set(refused.map((r) => r.record.topic).filter((t) => this.partitionMetadata.has(t)));
    if (stale.size > 0) {
      for (const topic of stale) this.partitionMetadata.delete(topic);
      await this.loadTopics(records);
      refused = this.withoutDestination(records);
    }
    return refused;
  }

  private withoutDestination(records: OutRecord[]): RefusedRecord[] {
    const refused: RefusedRecord[] = [];
    for (const record of records) {
      const partitions = this.partitionMetadata.get(record.topic);
      const partition = record.partition;
      if (partitions === undefined) refused.push({ record, reason: `topic ${record.topic} does not exist` });
      else if (partition !== undefined && !(partition >= 0 && partition < partitions.length)) {
        refused.push({
          record,
          reason: `topic ${record.topic} has no partition ${partition} (it has ${partitions.length})`,
        });
      }
    }
    return refused;
  }

  /**
   * Partition metadata of the topics not seen before. A topic that still does not exist after
   * the wait is remembered as absent for a while, so each request to it does not wait again.
   */
  private async loadTopics(records: OutRecord[]): Promise<void> {
    const now = Date.now();
    const unknown = new Set<string>();
    for (const r of records) {
      if (this.partitionMetadata.has(r.topic)) continue;
      const absentSince = this.absentTopics.get(r.topic);
      if (absentSince === undefined || now - absentSince > ABSENT_TOPIC_RECHECK_MS) unknown.add(r.topic);
    }
    if (unknown.size === 0) return;
    let present = [...unknown];
    try {
      await this.loadMetadata(present);
      return;
    } catch (error) {
      if (!isTransientTopicError(error)) throw error;
    }
    const existing = new Set(await this.admin.listTopics());
    present = present.filter((t) => existing.has(t));
    for (const topic of unknown) if (!existing.has(topic)) this.absentTopics.set(topic, Date.now());
    if (present.length > 0) await this.loadMetadata(present);
  }

  private async loadMetadata(topics: string[]): Promise<void> {
    const { topics: metadata } = await whileTopicsSettle(() => this.admin.fetchTopicMetadata({ topics }));
    for (const t of metadata) {
      this.partitionMetadata.set(t.name, t.partitions);
      this.absentTopics.delete(t.name);
    }
  }

  /**
   * A send error as a refusal of the records, when it is one. An unknown topic or partition at
   * this point is a topic deleted since its metadata was read — or a broker that has not caught
   * up yet: only what is missing on a fresh look counts as refused.
   */
  private async refusal(error: unknown, records: OutRecord[]): Promise<RecordsRefusedError | undefined> {
    const type = errorTypeIn(error, REFUSING_ERRORS);
    if (type !== undefined) {
      return new RecordsRefusedError(`the broker refused the records (${type}): ${describeError(error)}`, {
        cause: error,
      });
    }
    if (!isTransientTopicError(error)) return undefined;
    for (const r of records) this.partitionMetadata.delete(r.topic);
    const refused = await this.unwritable(records).catch(() => []);
    if (refused.length === 0) return undefined;
    return new RecordsRefusedError(`${refused.length} record(s) have nowhere to go: ${refused[0]!.reason}`, {
      refused,
      cause: error,
    });
  }
}

/**
 * A transactional producer (idempotent, acks all, one request in flight): its first send after a
 * commit begins a transaction, and `commit` adds the group offset and commits it. `connect`
 * (InitProducerId) fences an earlier producer with the same id and aborts its open transaction.
 */
class KafkaJsTransactionalProducer extends KafkaJsProducer implements TransactionalProducerClient {
  private transaction: Transaction | undefined;

  constructor(kafka: Kafka, transactionalId: string) {
    super(kafka, { acks: -1, idempotent: true }, transactionalId);
  }

  protected override async batchTarget(): Promise<Transaction> {
    this.transaction ??= await this.producer.transaction();
    return this.transaction;
  }

  async commit(position: {
    groupId: string;
    topic: string;
    partition: number;
    offset: string;
  }): Promise<void> {
    const transaction = await this.batchTarget();
    this.transaction = undefined;
    try {
      await transaction.sendOffsets({
        consumerGroupId: position.groupId,
        topics: [
          { topic: position.topic, partitions: [{ partition: position.partition, offset: position.offset }] },
        ],
      });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
  }

  async abort(): Promise<void> {
    const transaction = this.transaction;
    this.transaction = undefined;
    if (transaction?.isActive()) await transaction.abort();
  }
}

/**
 * A commit that could not reach the group coordinator's broker, as the error kafkajs' runner
 * answers by rejoining the group, which finds the new coordinator. Left as a connection error,
 * kafkajs retries the fetch loop for about 20 s, processing batches whose commits all fail, then
 * restarts the consumer, which redoes them: 2,962-11,759 events counted twice in 3 of 4 runs of
 * the fault suite's broker loss when the killed broker was the coordinator (reliability.md).
 */
function coordinatorUnreachable(error: unknown): Error | undefined {
  if (
    !(error instanceof kafkajs.KafkaJSConnectionError || error instanceof kafkajs.KafkaJSRequestTimeoutError)
  )
    return undefined;
  return Object.assign(new kafkajs.KafkaJSError(error, { retriable: true }), {
    type: 'NOT_COORDINATOR_FOR_GROUP',
  });
}

class KafkaJsConsumer implements ConsumerClient {
  private readonly consumer: Consumer;
  /** Commits made by Strom instead of kafkajs (`pipelined` and `interval` timings). */
  private commits: BackgroundCommits | undefined;
  private commitTimer: NodeJS.Timeout | undefined;

  constructor(kafka: Kafka, options: ConsumerOptions) {
    const mayRestart = options.mayRestart;
    this.consumer = kafka.consumer({
      // kafkajs restarts a crashed consumer on a timer even when stop() ran meanwhile (its
      // disconnect clears the timer before the crash handler sets it): ask before every restart
      ...(mayRestart ? { retry: { restartOnFailure: async () => mayRestart() } } : {}),
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      maxBytesPerPartition: options.maxBytesPerPartition,
      maxWaitTimeInMs: options.maxWaitTimeMs,
      readUncommitted: !options.readCommitted,
      allowAutoTopicCreation: false,
      ...(options.assignor ? { partitionAssigners: [toKafkaJsAssigner(options.assignor)] } : {}),
    });
  }

  connect(): Promise<void> {
    return this.consumer.connect();
  }

  subscribe(topics: string[], fromBeginning: boolean): Promise<void> {
    return this.consumer.subscribe({ topics, fromBeginning });
  }

  run(options: ConsumerRunOptions): Promise<void> {
    const timing = options.autoCommit ? (options.commitTiming ?? 'every-batch') : undefined;
    // kafkajs' auto-commit commits after every batch before it fetches again (and before a
    // rebalance it notices in a heartbeat); it has no mode that does not hold up the fetch
    const commits =
      timing !== undefined && timing !== 'every-batch'
        ? new BackgroundCommits(options.commitIntervalMs)
        : undefined;
    this.commits = commits;
    if (commits) {
      // kafkajs forgets the resolved, uncommitted offsets when it rejoins: commit them first
      this.consumer.on(this.consumer.events.REBALANCING, () => void commits.now());
    }
    if (commits && timing === 'interval') {
      // also while no batch comes: an idle worker's last offsets are committed too
      this.commitTimer = setInterval(() => commits.request(), options.commitIntervalMs);
      this.commitTimer.unref();
    }
    return this.consumer.run({
      autoCommit: timing === 'every-batch',
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
      eachBatch: async (payload: EachBatchPayload) => {
        const { batch } = payload;
        commits?.use(() => payload.commitOffsetsIfNecessary(payload.uncommittedOffsets()));
        await options.eachBatch(
          {
            topic: batch.topic,
            partition: batch.partition,
            highWatermark: batch.highWatermark,
            // kafkajs' message objects already have the fields InboundMessage names
            messages: batch.messages as unknown as InboundMessage[],
          },
          {
            resolveOffset: payload.resolveOffset,
            heartbeat: payload.heartbeat,
            // kafkajs commits the next offset to read
            commit: (offset) =>
              payload.commitOffsetsIfNecessary({
                topics: [
                  {
                    topic: batch.topic,
                    partitions: [{ partition: batch.partition, offset: String(BigInt(offset) + 1n) }],
                  },
                ],
              }),
            isRunning: payload.isRunning,
            isStale: payload.isStale,
          },
        );
        if (!commits) return;
        // a batch that ends after stop() began commits before kafkajs leaves the group
        if (!payload.isRunning()) await commits.flush();
        else
          await commits
            .afterBatch(timing === 'interval' ? 'interval' : 'pipelined')
            .catch((error: unknown) => {
              throw coordinatorUnreachable(error) ?? error;
            });
      },
    });
  }

  async stop(): Promise<void> {
    // what was resolved before the stop is committed before leaving (batches still in flight
    // commit as they end: kafkajs says it is no longer running)
    clearInterval(this.commitTimer);
    await this.commits?.flush();
    return this.consumer.stop();
  }

  disconnect(): Promise<void> {
    return this.consumer.disconnect();
  }

  onGroupJoin(listener: (assignment: Assignment[], memberId: string) => void): () => void {
    return this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      const assignment = Object.entries(event.payload.memberAssignment).map(([topic, partitions]) => ({
        topic,
        partitions,
      }));
      listener(assignment, event.payload.memberId);
    });
  }

  onRebalancing(listener: () => void): () => void {
    return this.consumer.on(this.consumer.events.REBALANCING, () => listener());
  }

  onCrash(listener: (error: Error, restarting: boolean) => void): () => void {
    return this.consumer.on(this.consumer.events.CRASH, (event) => {
      listener(event.payload.error, event.payload.restart);
    });
  }
}

interface ReadRequest {
  until: bigint;
  /** Next offset to read: advanced by applied records and by kafkajs' batch events. */
  position: bigint;
  /** The apply call in progress, if any. */
  busy: Promise<void> | undefined;
  /** Since when `position` has not moved (ms), and the position then: see `probeStalled`. */
  stalledSince: number;
  stalledAt: bigint;
  probing: boolean;
  apply: (messages: readonly InboundMessage[]) => void | Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const NO_END = 2n ** 63n - 1n;
/** How long stop() waits for the reader's consumer to leave its group. */
const READER_STOP_MS = 3000;
/** How long a read waits for kafkajs to finish restarting the reader's consumer. */
const READER_RESTART_WAIT_MS = 30_000;

function withTimeout(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.then(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
/** A read whose position did not move for this long is checked for empty batches. */
const READ_STALL_MS = 1000;
/** The same for a follow, which is idle whenever nothing new is written. */
const FOLLOW_STALL_MS = 10_000;

/**
 * kafkajs has no group-less consumer: this one joins a group of its own (one member, so it is
 * assigned every partition), keeps all partitions paused, and seeks and resumes the ones asked
 * for. Progress is taken from kafkajs' batch events too, because a batch holding only aborted
 * records or transaction markers never reaches eachBatch (the hang Faust has on such changelogs).
 */
class KafkaJsChangelogReader implements ChangelogReader {
  private readonly consumer: Consumer;
  private readonly requests = new Map<string, ReadRequest>();
  private topics: string[] = [];
  private started: Promise<void> | undefined;
  private admin: Admin | undefined;
  /** After stop(): reads are refused at once, and kafkajs may not restart the consumer. */
  private stopped = false;

  constructor(
    private readonly kafka: Kafka,
    options: ChangelogReaderOptions,
    private readonly extra: { log: Logger; probe: { tls: boolean; clientId: string } | undefined },
  ) {
    this.consumer = kafka.consumer({
      retry: { restartOnFailure: async () => !this.stopped },
      groupId: options.groupId,
      ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeout: options.sessionTimeoutMs }),
      maxBytesPerPartition: options.maxBytesPerPartition,
      maxWaitTimeInMs: 250,
      readUncommitted: false,
      allowAutoTopicCreation: false,
    });
  }

  start(topics: string[]): Promise<void> {
    this.topics = topics;
    this.started ??= this.run();
    return this.started;
  }

  private async run(): Promise<void> {
    const consumer = this.consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      // pause everything that is not being read, before the first fetch
      const idle = Object.entries(event.payload.memberAssignment)
        .map(([topic, partitions]) => ({
          topic,
          partitions: partitions.filter((p) => !this.requests.has(`${topic}:${p}`)),
        }))
        .filter((t) => t.partitions.length > 0);
      if (idle.length > 0) consumer.pause(idle);
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { topic, partition, lastOffset } = event.payload;
      this.progress(topic, partition, BigInt(lastOffset) + 1n);
    });
    // after every fetch round: a read that stopped moving may sit on an emptied batch
    consumer.on(consumer.events.FETCH, () => {
      for (const [key, request] of this.requests) this.checkStalled(key, request);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const request = this.requests.get(`${batch.topic}:${batch.partition}`);
        if (!request) return;
        const messages = (batch.messages as unknown as InboundMessage[]).filter(
          (m) => BigInt(m.offset) < request.until && BigInt(m.offset) >= request.position,
        );
        if (messages.length === 0) return;
        try {
          request.busy = Promise.resolve(request.apply(messages));
          await request.busy;
          request.position = BigInt(messages[messages.length - 1]!.offset) + 1n;
        } catch (error) {
          this.finish(batch.topic, batch.partition, error);
        } finally {
          request.busy = undefined;
        }
      },
    });
  }

  async read(
    topic: string,
    partition: number,
    from: string,
    until: string,
    apply: (messages: readonly InboundMessage[]) => void | Promise<void>,
  ): Promise<void> {
    if (BigInt(from) >= BigInt(until)) return;
    await this.begin(topic, partition, from, until, apply);
  }

  follow(
    topic: string,
    partition: number,
    from: string,
    apply: (messages: readonly InboundMessage[]) => void | Promise<void>,
  ): FollowHandle {
    const key = `${topic}:${partition}`;
    const following = this.begin(topic, partition, from, String(NO_END), apply);
    following.catch(() => undefined);
    return {
      stop: async () => {
        await this.started;
        const request = this.requests.get(key);
        if (!request) return from;
        await request.busy;
        this.requests.delete(key);
        await this.whileRunning(() => this.consumer.pause([{ topic, partitions: [partition] }])).catch(
          () => undefined,
        );
        request.resolve();
        return String(request.position);
      },
    };
  }

  private async begin(
    topic: string,
    partition: number,
    from: string,
    until: string,
    apply: (messages: readonly InboundMessage[]) => void | Promise<void>,
  ): Promise<void> {
    if (this.stopped) throw new Error('changelog reader stopped');
    if (!this.topics.includes(topic)) throw new Error(`changelog reader was not started with ${topic}`);
    const key = `${topic}:${partition}`;
    if (this.requests.has(key)) throw new Error(`${key} is already being read`);
    let request!: ReadRequest;
    const done = new Promise<void>((resolve, reject) => {
      request = {
        until: BigInt(until),
        position: BigInt(from),
        busy: undefined,
        stalledSince: Date.now(),
        stalledAt: BigInt(from),
        probing: false,
        apply,
        resolve,
        reject,
      };
    });
    // stop() rejects every open request; this one's caller may no longer be waiting for it
    done.catch(() => undefined);
    this.requests.set(key, request);
    try {
      await this.started;
      await this.whileRunning(() => {
        this.consumer.seek({ topic, partition, offset: from });
        this.consumer.resume([{ topic, partitions: [partition] }]);
      });
    } catch (error) {
      if (this.requests.get(key) === request) this.requests.delete(key);
      throw error;
    }
    return done;
  }

  /**
   * Runs `act` (a seek, pause or resume) once kafkajs' consumer group exists: while kafkajs
   * restarts a consumer that crashed (a broker just started has no group coordinator yet, say),
   * it has none and throws "Consumer group was not initialized" (seen in `pnpm demo` on a fresh
   * broker, where the failed read then stopped the worker).
   */
  private async whileRunning(act: () => void): Promise<void> {
    const deadline = Date.now() + READER_RESTART_WAIT_MS;
    for (;;) {
      if (this.stopped) throw new Error('changelog reader stopped');
      try {
        act();
        return;
      } catch (error) {
        if (!/not initialized/.test(describeError(error)) || Date.now() > deadline) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private progress(topic: string, partition: number, position: bigint): void {
    const request = this.requests.get(`${topic}:${partition}`);
    if (!request) return;
    if (position > request.position) request.position = position;
    if (request.position >= request.until) this.finish(topic, partition);
  }

  private checkStalled(key: string, request: ReadRequest): void {
    const now = Date.now();
    if (request.position !== request.stalledAt || request.busy) {
      request.stalledAt = request.position;
      request.stalledSince = now;
      return;
    }
    const limit = request.until === NO_END ? FOLLOW_STALL_MS : READ_STALL_MS;
    if (request.probing || now - request.stalledSince < limit || !this.extra.probe) return;
    request.probing = true;
    void this.probeStalled(key, request).finally(() => {
      request.probing = false;
      request.stalledSince = Date.now();
    });
  }

  /**
   * kafkajs cannot fetch past a batch that compaction emptied (see empty-batch-probe.ts): ask the
   * broker directly, and seek past the empty batches if that is what holds the read up.
   */
  private async probeStalled(key: string, request: ReadRequest): Promise<void> {
    const separator = key.lastIndexOf(':');
    const topic = key.slice(0, separator);
    const partition = Number(key.slice(separator + 1));
    const at = request.position;
    try {
      const leader = await this.leaderOf(topic, partition);
      const next = await probeEmptyBatches(leader, this.extra.probe!, topic, partition, at);
      if (next === undefined || this.requests.get(key) !== request || request.position !== at) return;
      this.extra.log.info(
        { topic, partition, from: String(at), to: String(next) },
        'changelog read skips a batch emptied by compaction (kafkajs cannot fetch past it)',
      );
      this.consumer.seek({ topic, partition, offset: String(next) });
      this.progress(topic, partition, next);
    } catch (error) {
      this.extra.log.debug({ topic, partition, err: error }, 'empty-batch probe failed; will retry');
    }
  }

  private async leaderOf(topic: string, partition: number): Promise<BrokerAddress> {
    if (!this.admin) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    const [metadata] = (await this.admin.fetchTopicMetadata({ topics: [topic] })).topics;
    const leader = metadata?.partitions.find((p) => p.partitionId === partition)?.leader;
    const broker = (await this.admin.describeCluster()).brokers.find((b) => b.nodeId === leader);
    if (!broker) throw new Error(`no leader known for ${topic}[${partition}]`);
    return { host: broker.host, port: broker.port };
  }

  private finish(topic: string, partition: number, error?: unknown): void {
    const key = `${topic}:${partition}`;
    const request = this.requests.get(key);
    if (!request) return;
    this.requests.delete(key);
    // a consumer kafkajs is restarting has nothing to pause; the restart pauses idle partitions
    void this.whileRunning(() => this.consumer.pause([{ topic, partitions: [partition] }])).catch(
      () => undefined,
    );
    if (error === undefined) request.resolve();
    else request.reject(error);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const request of this.requests.values()) request.reject(new Error('changelog reader stopped'));
    this.requests.clear();
    // nothing is committed by this consumer: a disconnect stuck in a rejoin is not waited out
    if (this.started)
      await withTimeout(
        this.consumer.disconnect().catch(() => undefined),
        READER_STOP_MS,
      );
    await this.admin?.disconnect().catch(() => undefined);
  }
}
