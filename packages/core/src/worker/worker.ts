import { randomUUID } from 'node:crypto';
import { Actor, type ActorHost } from '../agents/actor.js';
import type { Agent } from '../agents/agent.js';
import type { AppContext } from '../app/context.js';
import { parseAssignmentData, stromAssignor } from '../assignor/strom-assignor.js';
import { describeError, StromError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { BufferedProducer, type RecordSender } from '../producer/buffered-producer.js';
import { StoreRegistry } from '../stores/resolve.js';
import type { Channel } from '../streams/channel.js';
import { Completion, type Item, StreamEvent } from '../streams/event.js';
import { type RecoveryReport, TableManager } from '../tables/table-manager.js';
import type { Topic } from '../topics/topic.js';
import type {
  AdminClient,
  Assignment,
  BatchControl,
  ConsumerClient,
  InboundBatch,
  InboundMessage,
  KafkaClient,
  ProducerClient,
} from '../transport/types.js';
import { DeadLetterWriter } from './dead-letters.js';
import { Router } from './router.js';
import { setUpTopics } from './topic-setup.js';

export type WorkerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed';

export interface WorkerOptions {
  context: AppContext;
  agents: readonly Agent[];
  client: KafkaClient;
  log: Logger;
}

/** What the banner and `strom agents/topics` show about a started worker. */
export interface WorkerDescription {
  appId: string;
  brokers: string[];
  agents: Array<{ name: string; topics: string[]; concurrency: number }>;
  topics: Array<{ name: string; partitions: number; internal: boolean }>;
  tables: string[];
}

/**
 * Runs an app's agents in a consumer group: creates missing topics, hands each fetched batch to
 * the agents' channels, and resolves a batch's offsets only when every event of it is finished
 * and every record those events sent is acknowledged (at-least-once). kafkajs commits resolved
 * offsets after each batch, before a rebalance and on stop.
 */
export class Worker implements ActorHost {
  readonly log: Logger;
  private readonly context: AppContext;
  private readonly agents: readonly Agent[];
  private readonly client: KafkaClient;
  private readonly router = new Router();
  private readonly deadLetters: DeadLetterWriter;
  private readonly actors: Actor[] = [];
  private producer: BufferedProducer | undefined;
  private producerClient: ProducerClient | undefined;
  private admin: AdminClient | undefined;
  private consumer: ConsumerClient | undefined;
  private uninstallSender: (() => void) | undefined;
  private stopDeadline = Number.POSITIVE_INFINITY;
  private stopping: Promise<void> | undefined;
  private failure: unknown;
  private resolveFinished!: (exitCode: number) => void;
  private partitionCounts = new Map<string, number>();
  private tables: TableManager | undefined;
  private assignment: Assignment[] = [];
  state: WorkerState = 'idle';
  /** Resolves with the process exit code once the worker stopped (0 = clean). */
  readonly finished: Promise<number> = new Promise((resolve) => {
    this.resolveFinished = resolve;
  });

  constructor(options: WorkerOptions) {
    this.context = options.context;
    this.agents = options.agents;
    this.client = options.client;
    this.log = options.log;
    this.deadLetters = new DeadLetterWriter(() => this.sender(), this.log);
  }

  /** Connects, creates topics, starts the agents and joins the group. Resolves once consuming. */
  async start(): Promise<WorkerDescription> {
    if (this.state !== 'idle')
      throw new StromError('NOT_RUNNING', `worker is ${this.state}; create a new one`);
    this.state = 'starting';
    const { settings } = this.context;
    try {
      this.admin = this.client.admin();
      await this.admin.connect();
      const producerClient = this.client.producer({ acks: settings.acks, idempotent: false });
      this.producerClient = producerClient;
      await producerClient.connect();
      this.producer = new BufferedProducer({
        client: producerClient,
        lingerMs: settings.producerLingerMs,
        maxBatchRecords: settings.producerMaxBatchRecords,
        maxRequestBytes: settings.producerMaxRequestBytes,
        maxInflightRecords: settings.producerMaxInflightRecords,
      });
      this.uninstallSender = this.context.useSender(this.producer);
      await this.startActors();
      for (const table of this.context.tables) {
        // a global table is not co-partitioned with anything: it keeps its own (or the default) count
        if (table.partitions === undefined && !table.global) {
          this.context.deriveFrom(table.changelog, this.router.topics());
        }
      }
      const description = await this.ensureTopics();
      const stores = new StoreRegistry({ stateDir: settings.stateDir, appId: settings.id, log: this.log });
      this.tables = new TableManager({
        tables: this.context.tables,
        reader: this.client.changelogReader({
          groupId: `${settings.id}-changelog-reader-${randomUUID()}`,
          maxBytesPerPartition: settings.maxBytesPerPartition,
        }),
        offsets: (topic) => this.admin!.topicOffsets(topic),
        ackedOffset: (topic, partition) => this.producer?.ackedOffset(topic, partition),
        storeFor: (table) => stores.resolve(table.storeOption ?? settings.store),
        log: this.log,
      });
      await this.tables.start(this.partitionCounts);
      const consumer = this.client.consumer({
        groupId: settings.id,
        sessionTimeoutMs: settings.sessionTimeoutMs,
        heartbeatIntervalMs: settings.heartbeatIntervalMs,
        maxBytesPerPartition: settings.maxBytesPerPartition,
        maxWaitTimeMs: settings.fetchMaxWaitMs,
        readCommitted: true,
        assignor: stromAssignor({
          standbys: settings.standbys,
          current: () => this.assignment,
          currentStandby: () => this.tables?.standbyDuties() ?? {},
        }),
      });
      this.consumer = consumer;
      consumer.onGroupJoin((assignment, memberId) => {
        this.log.info({ assignment }, 'partitions assigned');
        this.assignment = assignment;
        this.tables?.assign(assignment);
        if (this.context.tables.length > 0) void this.takeStandbyDuties(memberId);
      });
      consumer.onCrash((error) => this.fail(error));
      await consumer.connect();
      await consumer.subscribe(
        this.router.topics().map((t) => t.name),
        settings.autoOffsetReset === 'earliest',
      );
      await consumer.run({
        eachBatch: (batch, control) => this.handleBatch(batch, control),
        partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
      });
      this.state = 'running';
      this.log.info(
        { agents: description.agents.length, topics: description.topics.length },
        'worker running',
      );
      return description;
    } catch (error) {
      this.state = 'crashed';
      await this.release();
      this.resolveFinished(1);
      throw error;
    }
  }

  /**
   * Graceful stop: in-flight events finish (up to `shutdownTimeoutMs`), what finished is
   * committed, the worker leaves the group and disconnects.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const started = Date.now();
    const wasCrashed = this.failure !== undefined;
    this.state = 'stopping';
    this.stopDeadline = started + this.context.settings.shutdownTimeoutMs;
    this.log.info('worker stopping');
    try {
      // Step 1: stop fetching; kafkajs waits for the batches in flight, commits them, leaves the group
      await this.consumer?.stop().catch((error) => this.log.warn({ err: error }, 'consumer stop failed'));
      // Step 2: end the agents' streams and wait for them
      await withTimeout(
        Promise.all(this.actors.map((a) => a.stop())),
        Math.max(500, this.stopDeadline - Date.now()),
      );
      // Step 3: deliver what the agents sent last, then close the tables
      await this.producer?.flush().catch((error) => this.log.warn({ err: error }, 'final flush failed'));
      await this.tables?.stop().catch((error) => this.log.warn({ err: error }, 'closing tables failed'));
    } finally {
      await this.release();
      this.state = wasCrashed || this.failure !== undefined ? 'crashed' : 'stopped';
      this.log.info({ ms: Date.now() - started, state: this.state }, 'worker stopped');
      this.resolveFinished(this.state === 'stopped' ? 0 : 1);
    }
  }

  /** The error that stopped the worker, if one did. */
  get error(): unknown {
    return this.failure;
  }

  // ActorHost

  sender(): RecordSender {
    if (!this.producer) throw new StromError('NOT_RUNNING', 'the worker has no producer yet');
    return this.producer;
  }

  route(topic: Topic, agent: Agent, actorIndex: number, channel: Channel): void {
    if (this.state === 'running') {
      throw new StromError(
        'TOPIC',
        `${agent} subscribed to ${topic.name} after the worker started; call groupBy/through before the agent's first event`,
      );
    }
    this.router.add(topic, agent, actorIndex, channel);
  }

  repartitionTopic(name: string, sources: readonly Topic[]): Topic {
    return this.context.repartition(name, sources);
  }

  topicNamed(name: string): Topic {
    return this.context.named(name);
  }

  deadLetter(event: StreamEvent, reason: string): void {
    const deadLetterTopic = this.context.named(event.topic).deadLetterTopic;
    const { topic, partition, message } = event;
    void this.deadLetters.write({ topic, partition, message, deadLetterTopic }, reason);
  }

  fatal(error: unknown, agent: Agent): void {
    this.log.error({ err: error, agent: agent.name }, 'fatal agent error');
    this.fail(error);
  }

  usesEventSlot(): boolean {
    return this.context.tables.length > 0;
  }

  isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** What recoveries of table partitions this worker did (records read, promoted standbys). */
  get recoveries(): readonly RecoveryReport[] {
    return this.tables?.reports ?? [];
  }

  // internals

  /** The assignor put this member's standby duties in its assignment data: read them back. */
  private async takeStandbyDuties(memberId: string): Promise<void> {
    try {
      const members = await this.admin!.groupMembers(this.context.settings.id);
      const mine = members.find((m) => m.memberId === memberId);
      if (!mine) return; // a newer rebalance is under way; its join brings the duties
      await this.tables?.setStandbys(parseAssignmentData(mine.userData).standby);
    } catch (error) {
      this.log.warn({ err: error }, 'could not set up standby table partitions');
    }
  }

  private fail(error: unknown): void {
    if (this.failure === undefined) this.failure = error;
    this.log.error({ err: error }, `worker failed: ${describeError(error)}`);
    void this.stop();
  }

  private async startActors(): Promise<void> {
    for (const agent of this.agents) {
      for (let i = 0; i < agent.concurrency; i++) {
        const actor = new Actor(agent, i, this);
        this.actors.push(actor);
        actor.start();
      }
    }
    const ready = Promise.all(this.actors.map((a) => a.ready));
    const slow = setTimeout(() => this.log.warn('waiting for agents to start reading their streams'), 5000);
    try {
      await ready;
    } finally {
      clearTimeout(slow);
    }
  }

  private async ensureTopics(): Promise<WorkerDescription> {
    const setup = await setUpTopics(this.admin!, this.context, this.router.topics());
    if (setup.created.length > 0) this.log.info({ topics: setup.created }, 'created topics');
    this.partitionCounts = setup.partitions;
    return this.describe();
  }

  describe(): WorkerDescription {
    return {
      appId: this.context.appId,
      brokers: this.context.settings.brokers,
      agents: this.agents.map((a) => ({
        name: a.name,
        topics: this.router
          .topics()
          .filter((t) => this.router.get(t.name)!.subscribers.some((s) => s.agent === a))
          .map((t) => t.name),
        concurrency: a.concurrency,
      })),
      topics: this.context.allTopics().map((t) => ({
        name: t.name,
        partitions: this.partitionCounts.get(t.name) ?? t.partitions ?? this.context.settings.topicPartitions,
        internal: t.internal,
      })),
      tables: this.context.tables.map((t) => `${t.name} (${t.changelog.name})`),
    };
  }

  /**
   * Step 1: decode, dead-letter what fails, queue the rest to the agents' channels.
   * Step 2: wait until the agents finished every event (heartbeating meanwhile).
   * Step 3: flush the producer: records the events caused, dead letters included, are acked.
   * Step 4: persistent table partitions write their changes with the changelog offset.
   * Step 5: resolve the offsets; kafkajs commits them after this handler returns.
   */
  private async handleBatch(batch: InboundBatch, control: BatchControl): Promise<void> {
    if (this.stopping !== undefined || batch.messages.length === 0) return;
    const route = this.router.get(batch.topic);
    const lastOffset = batch.messages[batch.messages.length - 1]!.offset;
    if (!route) {
      control.resolveOffset(lastOffset);
      return;
    }
    const { topic, partition } = batch;
    // the partition's tables must be recovered before its events run
    if (!(await this.awaitCompletion(this.tables?.ready(topic, partition) ?? Promise.resolve(), control)))
      return;
    const channels = this.router.channelsFor(route, partition);
    const accepted: Array<{ message: InboundMessage; key: unknown; value: unknown }> = [];
    for (const message of batch.messages) {
      const decoded = route.topic.decode(message);
      if (decoded.ok) accepted.push({ message, key: decoded.key, value: decoded.value });
      else {
        void this.deadLetters.write(
          { topic, partition, message, deadLetterTopic: route.topic.deadLetterTopic },
          decoded.reason,
        );
      }
    }
    const completion = new Completion(accepted.length * channels.length);
    const queues: Item[][] = channels.map(() => []);
    const events: StreamEvent[] = [];
    for (const { message, key, value } of accepted) {
      for (let i = 0; i < channels.length; i++) {
        const event = new StreamEvent(topic, partition, message, key, value, completion);
        events.push(event);
        queues[i]!.push({ event, value });
      }
    }
    for (let i = 0; i < channels.length; i++) channels[i]!.push(queues[i]!);
    // a long batch commits its finished prefix every commitIntervalMs, so a crash redoes little
    let resolved: string | undefined;
    const commitPrefix = async () => {
      const prefix = finishedPrefix(events, batch.messages);
      if (prefix === undefined || prefix === resolved) return;
      await this.producer!.flush();
      await this.tables?.checkpoint(topic, partition);
      control.resolveOffset(prefix);
      resolved = prefix;
      await control.commit(prefix);
    };
    const settled = await this.awaitCompletion(completion.settled, control, commitPrefix);
    await this.producer!.flush();
    if (settled) {
      // Step 4 (then 5)
      await this.tables?.checkpoint(topic, partition);
      control.resolveOffset(lastOffset);
      return;
    }
    // stopping before every event finished: commit the finished prefix only
    const prefix = finishedPrefix(events, batch.messages);
    if (prefix !== undefined) control.resolveOffset(prefix);
  }

  /** True when `work` finished; false when the stop deadline or a failure came first. Heartbeats meanwhile. */
  private async awaitCompletion(
    work: Promise<void>,
    control: BatchControl,
    onInterval?: () => Promise<void>,
  ): Promise<boolean> {
    const interval = this.context.settings.commitIntervalMs;
    let nextInterval = Date.now() + interval;
    let finished = false;
    void work.then(
      () => {
        finished = true;
      },
      (error: unknown) => this.fail(error),
    );
    const beat = this.context.settings.heartbeatIntervalMs;
    for (;;) {
      const waitMs = Math.min(beat, this.stopDeadline - Date.now());
      if (waitMs <= 0 || this.failure !== undefined) return finished;
      await Promise.race([work.catch(() => undefined), sleep(Math.min(waitMs, 250))]);
      if (finished) return true;
      // a rebalance makes the heartbeat throw: keep finishing the batch, kafkajs rejoins after it
      await control.heartbeat().catch(() => undefined);
      if (onInterval && Date.now() >= nextInterval) {
        nextInterval = Date.now() + interval;
        await onInterval().catch((error: unknown) =>
          this.log.warn({ err: error }, 'mid-batch commit failed'),
        );
      }
    }
  }

  private async release(): Promise<void> {
    this.uninstallSender?.();
    this.uninstallSender = undefined;
    const quietly = (p: Promise<void> | undefined) => p?.catch(() => undefined);
    await quietly(this.consumer?.disconnect());
    await quietly(this.producerClient?.disconnect());
    await quietly(this.admin?.disconnect());
  }
}

/**
 * The offset up to which every record of the batch is done (finished or dead-lettered), or
 * undefined when the first one is still open.
 */
function finishedPrefix(
  events: readonly StreamEvent[],
  messages: readonly InboundMessage[],
): string | undefined {
  const firstOpen = events.find((e) => !e.finished);
  if (firstOpen === undefined) return messages[messages.length - 1]!.offset;
  const before = BigInt(firstOpen.offset) - 1n;
  return before >= BigInt(messages[0]!.offset) ? String(before) : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
