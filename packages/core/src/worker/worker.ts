import { randomUUID } from 'node:crypto';
import { Actor, type ActorHost } from '../agents/actor.js';
import type { Agent } from '../agents/agent.js';
import type { AppContext } from '../app/context.js';
import type { AppSettings } from '../app/settings.js';
import { parseAssignmentData, stromAssignor } from '../assignor/strom-assignor.js';
import { describeError, StromError } from '../errors/errors.js';
import { checkJoinInputs } from '../joins/copartition.js';
import type { Logger } from '../logging/logger.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { BufferedProducer, type RecordSender, type TopicLimit } from '../producer/buffered-producer.js';
import { StoreRegistry } from '../stores/resolve.js';
import type { Channel } from '../streams/channel.js';
import type { StreamEvent } from '../streams/event.js';
import type { ChangelogMode } from '../tables/changelog.js';
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
import { dashboardRoutes } from '../web/dashboard/dashboard-routes.js';
import { BUILT_IN_ROUTES } from '../web/routes.js';
import type { WebRoutes } from '../web/web-server.js';
import { WorkerWeb } from '../web/worker-web.js';
import { DeadLetterWriter, type RecentDeadLetter } from './dead-letters.js';
import { dispatch } from './dispatch.js';
import { RepartitionPurger } from './repartition-purger.js';
import { Router } from './router.js';
import { readTopicLimits } from './topic-limits.js';
import { setUpTopics } from './topic-setup.js';
import { PartitionTransactions } from './transactions.js';
import type { WorkerDescription, WorkerState } from './worker-description.js';

export type { WorkerDescription, WorkerState } from './worker-description.js';

/**
 * The order of the states: a worker only moves forward (idle → starting → running → stopping →
 * stopped or crashed). A stopping worker never rejoins its group or starts a recovery again.
 */
const STATE_ORDER: Readonly<Record<WorkerState, number>> = {
  idle: 0,
  starting: 1,
  running: 2,
  stopping: 3,
  stopped: 4,
  crashed: 4,
};

/** Exactly-once: a partition whose committed offset was read again after its fence. */
const NOTHING_COMMITTED_SINCE: Promise<bigint | undefined> = Promise.resolve(undefined);

/** Exit code of a worker that stopped cleanly, and of one an error stopped. */
export const WORKER_EXIT = { ok: 0, failed: 1 } as const;

/** Thrown inside start() at its next step once stop() was called. */
class StopRequested extends Error {
  constructor() {
    super('the worker was stopped while starting');
  }
}

/** How a wait inside a batch ended. */
type WaitOutcome = 'done' | 'stopping' | 'failed';

export interface WorkerOptions {
  context: AppContext;
  agents: readonly Agent[];
  client: KafkaClient;
  log: Logger;
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
  /** max.message.bytes and compaction of the app's topics, read at start. */
  private readonly topicLimits = new Map<string, TopicLimit>();
  private producerClient: ProducerClient | undefined;
  /** Exactly-once: a transactional producer per assigned input partition. */
  private transactions: PartitionTransactions | undefined;
  private admin: AdminClient | undefined;
  private consumer: ConsumerClient | undefined;
  private purger: RepartitionPurger | undefined;
  private uninstallSender: (() => void) | undefined;
  private stopDeadline = Number.POSITIVE_INFINITY;
  private stopping: Promise<void> | undefined;
  /** Settles when start() returned or threw (a stop waits for it, up to its deadline). */
  private startSettled: Promise<unknown> | undefined;
  /** Set once the agents finished the events they were inside of: open batches may commit. */
  private agentsStopped = false;
  private failure: unknown;
  private failureExitCode: number = WORKER_EXIT.failed;
  private resolveFinished!: (exitCode: number) => void;
  private finishedWith: number | undefined;
  private partitionCounts = new Map<string, number>();
  private tables: TableManager | undefined;
  private assignment: Assignment[] = [];
  /** Exactly-once: partitions whose committed offset was read again after fencing (per assignment). */
  private fencedOffsetRead = new Map<string, Promise<bigint | undefined>>();
  /** The web server, when the app's `web` setting is on. */
  private web: WorkerWeb | undefined;
  /** Prometheus metrics, kept when the web server runs (it serves them). */
  private metrics: WorkerMetrics | undefined;
  private current: WorkerState = 'idle';
  /** Resolves with the process exit code once the worker stopped (0 = clean). */
  readonly finished: Promise<number> = new Promise((resolve) => {
    this.resolveFinished = (exitCode) => {
      this.finishedWith = exitCode;
      resolve(exitCode);
    };
  });

  constructor(options: WorkerOptions) {
    this.context = options.context;
    this.agents = options.agents;
    this.client = options.client;
    this.log = options.log;
    this.deadLetters = new DeadLetterWriter({
      sender: () => this.sender(),
      log: this.log,
      deadLetterTopicOf: (topic) => this.context.named(topic).deadLetterTopic,
      maxRecordBytes: (topic) => this.producer!.maxRecordBytes(topic),
    });
  }

  /** The exit code `finished` resolved with; undefined until the worker stopped. */
  get exitCode(): number | undefined {
    return this.finishedWith;
  }

  /** Where the worker is in its life; it only moves forward (see STATE_ORDER). */
  get state(): WorkerState {
    return this.current;
  }

  /**
   * Connects, creates topics, starts the agents and joins the group. Resolves once consuming.
   * A stop() meanwhile ends it at its next step: it then rejects and `state` is `stopped`.
   */
  start(): Promise<WorkerDescription> {
    if (this.current !== 'idle')
      return Promise.reject(new StromError('NOT_RUNNING', `worker is ${this.current}; create a new one`));
    const starting = this.startSteps();
    this.startSettled = starting.catch(() => undefined);
    return starting;
  }

  private async startSteps(): Promise<WorkerDescription> {
    this.moveTo('starting');
    const { settings } = this.context;
    this.log.info({ appId: settings.id, brokers: settings.brokers }, 'worker starting');
    const step = <T>(value: T): T => {
      if (this.stopping !== undefined) throw new StopRequested();
      return value;
    };
    try {
      // first: a port in use fails the start before anything connects
      if (settings.web) step(await this.startWeb());
      this.admin = this.client.admin();
      step(await this.admin.connect());
      const producerClient = this.client.producer({ acks: settings.acks, idempotent: true });
      this.producerClient = producerClient;
      step(await producerClient.connect());
      this.producer = this.bufferedProducer(producerClient);
      if (settings.processingGuarantee === 'exactly_once') {
        this.transactions = new PartitionTransactions({
          appId: settings.id,
          groupId: settings.id,
          transactionalProducer: (transactionalId) => this.client.transactionalProducer({ transactionalId }),
          buffered: (client) => this.bufferedProducer(client),
          outside: this.producer,
          log: this.log,
        });
      }
      this.uninstallSender = this.context.useSender(this.sender());
      step(await this.startActors());
      // a foreign-key join's topics take their count from the tables, not the other way round
      const joinTopics = new Set(this.context.joinAgents.flatMap((a) => a.topics));
      const sourceTopics = this.router.topics().filter((t) => !joinTopics.has(t));
      for (const table of this.context.tables) {
        // a global table is not co-partitioned with anything: it keeps its own (or the default) count
        // a join's table is already derived from the tables it joins
        if (table.partitions === undefined && !table.global && !this.context.sourcesOf(table.changelog)) {
          this.context.deriveFrom(table.changelog, sourceTopics);
        }
      }
      const description = step(await this.ensureTopics());
      step(await Promise.all(this.context.allTopics().map((t) => t.prepare())));
      const stores = new StoreRegistry({ stateDir: settings.stateDir, appId: settings.id, log: this.log });
      this.tables = new TableManager({
        tables: this.context.tables,
        reader: this.client.changelogReader({
          groupId: `${settings.id}-changelog-reader-${randomUUID()}`,
          maxBytesPerPartition: settings.maxBytesPerPartition,
        }),
        sender: this.sender(),
        changelogMode: changelogModeOf(settings),
        offsets: (topic) => this.admin!.topicOffsets(topic),
        ackedOffset: (topic, partition) =>
          (this.transactions ?? this.producer)?.ackedOffset(topic, partition),
        // exactly-once: what is dirty at a stop may belong to an aborted transaction; each
        // commit already checkpointed what its transaction committed
        checkpointOnStop: this.transactions === undefined,
        storeFor: (table) => stores.resolve(table.storeOption ?? settings.store),
        onError: (error) => this.fail(error),
        log: this.log,
      });
      step(await this.tables.start(this.partitionCounts));
      const consumer = this.client.consumer({
        groupId: settings.id,
        sessionTimeoutMs: settings.sessionTimeoutMs,
        heartbeatIntervalMs: settings.heartbeatIntervalMs,
        maxBytesPerPartition: settings.maxBytesPerPartition,
        maxWaitTimeMs: settings.fetchMaxWaitMs,
        readCommitted: true,
        mayRestart: () => this.stopping === undefined,
        assignor: stromAssignor({
          standbys: settings.standbys,
          current: () => this.assignment,
          currentStandby: () => this.tables?.standbyDuties() ?? {},
          webUrl: () => this.web?.url,
        }),
      });
      this.consumer = consumer;
      consumer.onGroupJoin((assignment, memberId) => {
        // kafkajs may finish a join it began before stop(): the partitions are not taken
        if (this.stopping !== undefined) return;
        this.log.info({ assignment }, 'partitions assigned');
        this.metrics?.rebalanced();
        this.assignment = assignment;
        this.transactions?.assign(assignment);
        this.fencedOffsetRead.clear();
        this.tables?.assign(assignment);
        if (this.context.tables.length > 0) void this.takeStandbyDuties(memberId);
        this.web?.joined(memberId);
      });
      consumer.onRebalancing(() => this.web?.rebalanceStarted());
      consumer.onCrash((error, restarting) => {
        // leaving the group can fail while the broker goes away: not a failure of the worker
        if (this.stopping !== undefined) this.log.debug({ err: error }, 'consumer ended while stopping');
        else if (restarting)
          this.log.info(
            { reason: describeError(error) },
            'consumer rejoining after a retriable broker error',
          );
        else this.fail(error);
      });
      step(await consumer.connect());
      this.log.info({ groupId: settings.id }, 'joining the consumer group');
      step(
        await consumer.subscribe(
          this.router.topics().map((t) => t.name),
          settings.autoOffsetReset === 'earliest',
        ),
      );
      step(
        await consumer.run({
          eachBatch: (batch, control) => this.handleBatch(batch, control),
          autoCommit: this.transactions === undefined,
          commitTiming: settings.offsetCommit,
          commitIntervalMs: settings.commitIntervalMs,
          partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
        }),
      );
      this.startPurger();
      this.moveTo('running');
      this.log.info(
        { agents: description.agents.length, topics: description.topics.length },
        'worker running',
      );
      return description;
    } catch (error) {
      // stop() was called: a clean stop, not a failed start (whatever the aborted step threw);
      // `finished` resolves once the stop, which waits for this to return, is done
      if (this.stopping !== undefined && this.failure === undefined)
        throw error instanceof StopRequested ? error : new StopRequested();
      void this.abort(error);
      throw error;
    }
  }

  /**
   * Graceful stop: in-flight events finish (up to `shutdownTimeoutMs`), what finished is
   * committed, the worker leaves the group and disconnects.
   */
  stop(): Promise<void> {
    if (this.current === 'idle') {
      this.moveTo('stopped');
      this.resolveFinished(WORKER_EXIT.ok);
      this.stopping = Promise.resolve();
    }
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /**
   * Stops the worker because of `error` (e.g. an unhandled rejection seen by the process): it
   * stops as on SIGTERM, and `finished` resolves with `exitCode`.
   */
  abort(error: unknown, exitCode: number = WORKER_EXIT.failed): Promise<void> {
    if (this.failure === undefined) {
      this.failure = error;
      this.failureExitCode = exitCode;
    }
    return this.stop();
  }

  /**
   * Step 1: a start in progress ends at its next step.
   * Step 2: tables take no new partitions; recoveries in flight end between two reads.
   * Step 3: agents finish the events they are inside of (up to `shutdownTimeoutMs`); events
   *         queued but not started are left, uncommitted, for whoever owns the partition next.
   * Step 4: the open batches commit what finished; kafkajs commits it and leaves the group.
   * Step 5: records sent outside events are delivered; tables checkpoint and close.
   */
  private async shutdown(): Promise<void> {
    const started = Date.now();
    this.moveTo('stopping');
    this.stopDeadline = started + this.context.settings.shutdownTimeoutMs;
    const remaining = () => Math.max(500, this.stopDeadline - Date.now());
    this.log.info('worker stopping');
    const warn = (what: string) => (error: unknown) => this.log.warn({ err: error }, what);
    try {
      if (this.startSettled) await withTimeout(this.startSettled, remaining());
      const tablesClosed = this.tables?.close().catch(warn('closing tables failed'));
      await withTimeout(Promise.all(this.actors.map((a) => a.stop({ drain: false }))), remaining());
      this.agentsStopped = true;
      await this.consumer?.stop().catch(warn('consumer stop failed'));
      await this.transactions?.close();
      // at-least-once: changes kept for a commit that did not come are written (exactly-once
      // drops them: their transaction was aborted, and recovery restores what was committed)
      if (!this.transactions) await this.tables?.flushAllChangelogs().catch(warn('changelog flush failed'));
      await this.producer?.flush().catch(warn('final flush failed'));
      await tablesClosed;
      await this.tables?.stop().catch(warn('closing tables failed'));
    } finally {
      await this.release();
      const failed = this.failure !== undefined;
      this.moveTo(failed ? 'crashed' : 'stopped');
      this.log.info({ ms: Date.now() - started, state: this.current }, 'worker stopped');
      this.resolveFinished(failed ? this.failureExitCode : WORKER_EXIT.ok);
    }
  }

  private moveTo(next: WorkerState): void {
    if (STATE_ORDER[next] <= STATE_ORDER[this.current])
      throw new StromError('NOT_RUNNING', `worker cannot go from ${this.current} to ${next}`);
    this.current = next;
  }

  /** The error that stopped the worker, if one did. */
  get error(): unknown {
    return this.failure;
  }

  // ActorHost

  sender(): RecordSender {
    if (!this.producer) throw new StromError('NOT_RUNNING', 'the worker has no producer yet');
    return this.transactions ?? this.producer;
  }

  route(topic: Topic, agent: Agent, actorIndex: number, channel: Channel): void {
    if (this.current === 'running') {
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
    // exactly-once routes records sent from agent code by the event being processed
    return this.context.tables.length > 0 || this.transactions !== undefined;
  }

  isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** The newest dead letters this worker wrote (at most 50), oldest first. */
  get recentDeadLetters(): readonly RecentDeadLetter[] {
    return this.deadLetters.recent;
  }

  /** What recoveries of table partitions this worker did (records read, promoted standbys). */
  get recoveries(): readonly RecoveryReport[] {
    return this.tables?.reports ?? [];
  }

  // internals

  /** The app's producer settings around `client`; refused records go to the dead-letter topic. */
  private bufferedProducer(client: ProducerClient): BufferedProducer {
    const { settings } = this.context;
    return new BufferedProducer({
      client,
      lingerMs: settings.producerLingerMs,
      maxBatchRecords: settings.producerMaxBatchRecords,
      maxRequestBytes: settings.producerMaxRequestBytes,
      maxInflightRecords: settings.producerMaxInflightRecords,
      topicLimits: this.topicLimits,
      onRefused: (record, reason) => this.deadLetters.writeRefused(record, reason),
      onDelivered: (records) => this.metrics?.delivered(records),
    });
  }

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
    this.log.error({ err: error }, `worker failed: ${describeError(error)}`);
    void this.abort(error);
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

  /** Starts the web server (docs/web.md); resolves with its URL. */
  private startWeb(): Promise<string> {
    const { settings } = this.context;
    this.metrics = new WorkerMetrics(settings.id, {
      producerQueue: () => this.producer?.pending ?? 0,
      deadLetters: () => this.deadLetters.written,
      recovering: () => this.tables?.recoveryProgress() ?? [],
      recoveries: () => this.recoveries,
      tables: () =>
        this.context.tables.map((table) => {
          let keys = 0;
          for (const partition of this.tables?.localPartitions(table) ?? []) keys += partition.size;
          return { table: table.name, keys, lateEvents: table.windowedView?.lateEvents };
        }),
    });
    this.web = new WorkerWeb({
      metrics: this.metrics,
      host: settings.webHost,
      port: settings.webPort,
      url: settings.webUrl,
      // the app's own routes first: a path it takes (`/`, say) is its own
      routes: [...BUILT_IN_ROUTES, ...this.context.webRoutes, this.dashboardRoutes()],
      log: this.log,
      worker: {
        appId: settings.id,
        state: () => this.current,
        describe: () => this.describe(),
        recovering: () => this.tables?.recovering() ?? [],
      },
      tables: {
        list: this.context.tables,
        partitionCount: (table) => this.partitionCounts.get(table.changelog.name),
        heldPartition: (table, partition) => this.tables?.partitionFor(table, partition),
        isAssigned: (count, partition) =>
          this.assignment.some(
            (a) => this.partitionCounts.get(a.topic) === count && a.partitions.includes(partition),
          ),
      },
      members: () => this.admin!.groupMembers(settings.id),
      partitionCount: (topic) => this.partitionCounts.get(topic),
      webUrlOf: (member) => parseAssignmentData(member.userData).webUrl,
    });
    return this.web.start();
  }

  /** The dashboard's page and snapshot (docs/web.md#dashboard). */
  private dashboardRoutes(): WebRoutes {
    const isRepartition = (name: string) =>
      this.context.allTopics().some((t) => t.name === name && this.context.isRepartition(t));
    return dashboardRoutes({
      appId: this.context.appId,
      groupId: this.context.settings.id,
      state: () => this.current,
      admin: () => this.admin!,
      inputTopics: () => this.router.topics().map((t) => t.name),
      topology: () => ({
        agents: this.agents,
        topics: this.context.allTopics(),
        tables: this.context.tables,
        reads: new Map(this.describe().agents.map((a) => [a.name, a.topics])),
        partitions: this.partitionCounts,
        isRepartition,
      }),
      recoveriesInProgress: () => this.tables?.recoveryProgress() ?? [],
      recoveries: () => this.recoveries,
      deadLetters: () => this.recentDeadLetters,
      log: this.log,
    });
  }

  /** Deletes committed records of the repartition topics this worker reads, now and then. */
  private startPurger(): void {
    this.purger = new RepartitionPurger({
      admin: this.admin!,
      groupId: this.context.settings.id,
      topics: this.router
        .topics()
        .filter((t) => this.context.isRepartition(t))
        .map((t) => t.name),
      assigned: () => this.assignment,
      intervalMs: this.context.settings.repartitionPurgeIntervalMs,
      log: this.log,
    });
    this.purger.start();
  }

  private async ensureTopics(): Promise<WorkerDescription> {
    await checkJoinInputs(this.admin!, this.context);
    const setup = await setUpTopics(this.admin!, this.context, this.router.topics());
    if (setup.created.length > 0) this.log.info({ topics: setup.created }, 'created topics');
    this.partitionCounts = setup.partitions;
    const { settings } = this.context;
    const limits = await readTopicLimits(
      this.admin!,
      [...setup.partitions.keys()],
      settings.producerMaxRequestBytes,
      this.log,
    );
    for (const [topic, limit] of limits) this.topicLimits.set(topic, limit);
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
   * Step 1: wait until the partition's table partitions are current.
   * Step 2: decode, dead-letter what fails, queue the rest to the agents' channels.
   * Step 3: wait until the agents finished every event, heartbeating and committing the
   *         finished prefix every `commitIntervalMs` meanwhile.
   * Step 4: commit the batch — or, when the worker is stopping, its finished prefix.
   */
  private async handleBatch(batch: InboundBatch, control: BatchControl): Promise<void> {
    if (this.stopping !== undefined || batch.messages.length === 0) return;
    const route = this.router.get(batch.topic);
    const lastOffset = batch.messages[batch.messages.length - 1]!.offset;
    const { topic, partition } = batch;
    if (!route) {
      control.resolveOffset(lastOffset);
      return;
    }
    this.metrics?.batchFetched(topic, partition, batch.messages.length, batch.highWatermark, lastOffset);
    const ready = Promise.all([
      this.tables?.ready(topic, partition),
      this.transactions?.ready(topic, partition),
    ]).then(() => undefined);
    if ((await this.awaitCompletion(ready, control)) !== 'done' || this.stopping !== undefined) return;
    const messages = this.transactions
      ? await this.afterFencing(topic, partition, batch.messages)
      : batch.messages;
    if (messages.length === 0) {
      control.resolveOffset(lastOffset);
      return;
    }
    await route.topic.preload(messages);
    const { events, completion } = dispatch(
      route.topic,
      partition,
      messages,
      this.router.channelsFor(route, partition),
      (message, reason) =>
        void this.deadLetters.write(
          { topic, partition, message, deadLetterTopic: route.topic.deadLetterTopic },
          reason,
        ),
    );
    this.metrics?.eventsDelivered(topic, route.subscribers, events.length / route.subscribers.length);
    const dispatchedAt = performance.now();
    let committed: string | undefined;
    const commitFinished = async () => {
      const prefix = finishedPrefix(events, messages);
      if (prefix === undefined || prefix === committed) return;
      if (await this.commit(topic, partition, prefix, control, 'now')) committed = prefix;
    };
    // exactly-once commits only between events: a mid-batch commit could take records of an
    // event still running into a transaction whose offset does not cover it
    const outcome = await this.awaitCompletion(
      completion.settled,
      control,
      this.transactions ? undefined : commitFinished,
    );
    if (outcome === 'failed') return;
    if (outcome === 'done') this.metrics?.batchProcessed(topic, (performance.now() - dispatchedAt) / 1000);
    if (outcome === 'stopping' && this.transactions && !this.agentsStopped) return;
    const offset = outcome === 'done' ? lastOffset : finishedPrefix(events, messages);
    if (offset !== undefined && offset !== committed)
      await this.commit(topic, partition, offset, control, 'after-batch');
  }

  /**
   * Exactly-once, first batch of a partition after an assignment: drops the records below the
   * group's committed offset, read again now that this worker's producer has fenced the previous
   * owner. kafkajs picked the fetch position at the assignment, before the fence, and a previous
   * owner still finishing its batch could commit after that (kafkajs has no KIP-447): those
   * records would run twice. That race is the likely cause of the 278 duplicates one CI run of
   * the exactly-once rebalance storm saw. Below the committed offset, outputs and state are
   * already committed.
   */
  private async afterFencing(
    topic: string,
    partition: number,
    messages: readonly InboundMessage[],
  ): Promise<readonly InboundMessage[]> {
    const key = `${topic}:${partition}`;
    let read = this.fencedOffsetRead.get(key);
    if (read === undefined) {
      read = this.admin!.groupOffsets(this.context.settings.id, [topic]).then(
        (offsets) => {
          const committed = offsets.get(topic)?.get(partition);
          return committed === undefined || BigInt(committed) < 0n ? undefined : BigInt(committed);
        },
        () => undefined,
      );
      this.fencedOffsetRead.set(key, read);
    }
    const committed = await read;
    if (committed === undefined) return messages;
    // every batch fetched before the fence can start below it, not only the first: kafkajs
    // fetches on from where the previous batch ended (the exactly-once storm counted 283 events
    // twice when only the first batch was checked). Once a batch starts at or past it, later
    // batches do too, and need no look.
    if (BigInt(messages[0]?.offset ?? committed) >= committed) {
      this.fencedOffsetRead.set(key, NOTHING_COMMITTED_SINCE);
      return messages;
    }
    const kept = messages.filter((m) => BigInt(m.offset) >= committed);
    if (kept.length < messages.length)
      this.log.info(
        { topic, partition, skipped: messages.length - kept.length, committed: String(committed) },
        'records the previous owner committed after this worker fetched them: skipped',
      );
    return kept;
  }

  /**
   * The one commit routine (batch end, every commitIntervalMs inside a batch, and stop):
   * Step 0: per-commit changelogs produce the changes their partitions kept.
   * Step 1: flush the producer: every record the finished events caused (outputs, repartition
   *         copies, changelog records, dead letters) is acknowledged.
   * Step 2: persistent table partitions write their changes with the changelog offset they reflect.
   * Step 3: resolve the source offset; commit it now, or let kafkajs commit it after the batch
   *         (and before a rebalance or leaving the group).
   * A failed flush stops the worker with nothing of the batch committed. Returns true when done.
   */
  private async commit(
    topic: string,
    partition: number,
    offset: string,
    control: BatchControl,
    when: 'now' | 'after-batch',
  ): Promise<boolean> {
    const started = performance.now();
    try {
      await this.tables?.flushChangelogs(topic, partition);
      // exactly-once: the partition's transaction takes its records and the offset, atomically
      if (this.transactions) await this.transactions.commit(topic, partition, offset);
      else await this.producer!.flush();
      await this.tables?.checkpoint(topic, partition);
    } catch (error) {
      this.fail(error);
      return false;
    }
    control.resolveOffset(offset);
    this.metrics?.committed((performance.now() - started) / 1000);
    if (when === 'now' && !this.transactions) {
      await control
        .commit(offset)
        .catch((error: unknown) =>
          this.log.warn({ err: error, topic, partition, offset }, 'commit failed; the next one covers it'),
        );
    }
    return true;
  }

  /**
   * Waits for `work`, heartbeating meanwhile: 'done' when it finished, 'failed' when the worker
   * failed, 'stopping' once a stopping worker's agents are out of their events (or its
   * deadline passed).
   */
  private async awaitCompletion(
    work: Promise<void>,
    control: BatchControl,
    onInterval?: () => Promise<void>,
  ): Promise<WaitOutcome> {
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
      if (finished) return 'done';
      if (this.failure !== undefined) return 'failed';
      if (this.stopping !== undefined && (this.agentsStopped || Date.now() >= this.stopDeadline))
        return 'stopping';
      await Promise.race([work.catch(() => undefined), sleep(Math.min(beat, 250))]);
      if (finished) return 'done';
      // a rebalance makes the heartbeat throw: keep finishing the batch, kafkajs rejoins after it
      await control.heartbeat().catch(() => undefined);
      if (onInterval && Date.now() >= nextInterval && this.stopping === undefined) {
        nextInterval = Date.now() + interval;
        await onInterval();
      }
    }
  }

  private async release(): Promise<void> {
    await this.purger?.stop();
    await this.web?.stop();
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

/**
 * per-commit unless set: at least once it keeps tables as of the last commit after a crash and
 * writes far less (decision 0011); exactly once writes every update into the open transaction,
 * the mode its crash loop proves (per-commit there missed the loop's progress bound, cause open).
 */
function changelogModeOf(settings: AppSettings): ChangelogMode {
  return (
    settings.tableChangelog ??
    (settings.processingGuarantee === 'exactly_once' ? 'every-update' : 'per-commit')
  );
}
