import { Actor, type ActorHost } from '../agents/actor.js';
import type { Agent } from '../agents/agent.js';
import type { AppContext } from '../app/context.js';
import { describeError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import type { RecordSender } from '../producer/buffered-producer.js';
import { MemoryPartitionStore } from '../stores/memory-store.js';
import type { Channel } from '../streams/channel.js';
import type { StreamEvent } from '../streams/event.js';
import { ALL_PARTITIONS, ChangelogWriter, changelogCodec } from '../tables/changelog.js';
import type { Table, TablePartitions } from '../tables/table.js';
import { TablePartition } from '../tables/table-partition.js';
import type { SendOptions, Topic } from '../topics/topic.js';
import type { Headers, InboundMessage, OutRecord } from '../transport/types.js';
import { dispatch } from '../worker/dispatch.js';
import { Router } from '../worker/router.js';

/** A record the agent (its code, sinks or forwarders) sent, decoded with its topic's codecs. Dead letters are in `deadLetters`. */
export interface SentRecord {
  topic: string;
  key: unknown;
  value: unknown;
  partition: number | undefined;
  headers: Headers | undefined;
}

export interface DeadLetterRecord {
  /** The topic the failed record came from. */
  topic: string;
  partition: number;
  offset: string;
  reason: string;
}

export interface HarnessOptions {
  /** Partitions of every topic in the harness (records of derived topics are spread by key). Default 1. */
  partitions?: number;
}

/**
 * Runs one agent on in-memory channels, with no broker: feed it values, then read what it
 * yielded, sent and dead-lettered. Like Faust's `agent.test_context()`.
 *
 * @example
 * const harness = await testAgent(countRides)
 * await harness.send({ vendorId: 1, total_amount: 12 })
 * expect(harness.sentTo(totals)).toEqual([12])
 * await harness.stop()
 */
export class AgentHarness<V, K = unknown, Out = unknown> implements ActorHost {
  readonly yieldedValues: Out[] = [];
  readonly sent: SentRecord[] = [];
  readonly deadLetters: DeadLetterRecord[] = [];
  readonly log: Logger;
  private readonly router = new Router();
  private readonly context: AppContext;
  private readonly actors: Actor[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly offsets = new Map<string, bigint>();
  private readonly partitions: number;
  private uninstallSender: (() => void) | undefined;
  private stopping = false;
  private failure: unknown;
  private rejectFailure!: (error: unknown) => void;
  private readonly failed = new Promise<never>((_, reject) => {
    this.rejectFailure = reject;
  });
  /** Table partitions, created on first use: the harness owns every partition. */
  private readonly tables = new InMemoryTables(() => this.recorder);
  private readonly recorder: RecordSender = {
    send: (record) => this.record(record),
    flush: async () => undefined,
  };

  constructor(
    readonly agent: Agent<V, K, Out>,
    options: HarnessOptions = {},
  ) {
    this.context = agent.context;
    this.log = this.context.log.child({ harness: agent.name });
    this.partitions = options.partitions ?? 1;
    this.failed.catch(() => undefined);
  }

  /** @internal use {@link testAgent} */
  async start(): Promise<void> {
    this.uninstallSender = this.context.useSender(this.recorder);
    for (const table of this.context.tables) table.attach(this.tables);
    // the agents of the app's foreign-key joins run too: the join answers through them
    // the context keeps them by shape (JoinAgentRef); join-host registers Agent instances only
    const joinAgents = (this.context.joinAgents as unknown as readonly Agent[]).filter(
      (a) => a !== (this.agent as unknown as Agent),
    );
    for (const agent of [this.agent as unknown as Agent, ...joinAgents]) {
      for (let i = 0; i < agent.concurrency; i++) {
        const actor = new Actor(agent, i, this);
        this.actors.push(actor);
        actor.start();
      }
    }
    await Promise.all(this.actors.map((a) => a.ready));
  }

  /** Feeds `value` to the agent's first topic and waits until it (and what it caused) is processed. */
  async send(value: V, options: SendOptions<K> = {}): Promise<void> {
    const topic = this.agent.topics[0]!;
    await this.sendBytes(topic.encodeValue(value), { ...options, key: topic.encodeKey(options.key) });
  }

  /** Feeds raw bytes (e.g. invalid JSON) to the agent's first topic, to test dead-lettering. */
  async sendBytes(
    value: Buffer | string | null,
    options: { key?: Buffer | string | null; partition?: number; headers?: Headers; timestamp?: number } = {},
  ): Promise<void> {
    const toBuffer = (v: Buffer | string | null | undefined) =>
      typeof v === 'string' ? Buffer.from(v) : (v ?? null);
    this.feed(this.agent.topics[0]! as Topic, options.partition ?? 0, {
      key: toBuffer(options.key),
      value: toBuffer(value),
      headers: options.headers ?? {},
      timestamp: String(options.timestamp ?? Date.now()),
    });
    await this.idle();
  }

  /**
   * Feeds `value` to another topic the agent reads (the other side of a stream-stream join, say)
   * and waits until it is processed. `timestamp` sets its event time, and so stream time.
   */
  async produce<T, K2>(topic: Topic<T, K2>, value: T, options: SendOptions<K2> = {}): Promise<void> {
    const toBuffer = (v: Buffer | string | null) => (typeof v === 'string' ? Buffer.from(v) : v);
    this.feed(topic as Topic, options.partition ?? 0, {
      key: toBuffer(topic.encodeKey(options.key)),
      value: toBuffer(topic.encodeValue(value)),
      headers: options.headers ?? {},
      timestamp: String(options.timestamp ?? Date.now()),
    });
    await this.idle();
  }

  /**
   * Sets `key` in a table the agent reads, as if another agent had written it (a stream-table
   * join's table); `partition` is the table partition (default 0), ignored for a global table.
   */
  setTable<K2, V2, R2>(table: Table<K2, V2, R2>, key: K2, value: V2, partition = 0): void {
    const t = table as unknown as Table<unknown, unknown>;
    this.tables.partitionFor(t, t.global ? ALL_PARTITIONS : partition).set(changelogCodec.keyId(key), value);
  }

  /** Values the agent yielded, in order. */
  get yielded(): readonly Out[] {
    return this.yieldedValues;
  }

  /** Values sent to `topic`, in order. */
  sentTo<T = unknown>(topic: Topic<T> | string): T[] {
    const name = typeof topic === 'string' ? topic : topic.name;
    return this.sent.filter((r) => r.topic === name).map((r) => r.value as T);
  }

  /** The topics the agent reads, derived ones (groupBy, through) included. */
  subscribedTopics(): Topic[] {
    return this.router.topics();
  }

  /** Ends the agent's streams and waits for it to return. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.actors.map((a) => a.stop()));
    this.uninstallSender?.();
    for (const table of this.context.tables) table.attach(undefined);
  }

  /** Waits until every fed event is finished; rejects if the agent stopped the run (onError: 'stop'). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.race([Promise.all(this.inflight), this.failed]);
    if (this.failure !== undefined) throw this.failure;
  }

  // ActorHost

  sender(): RecordSender {
    return this.recorder;
  }

  route(topic: Topic, agent: Agent, actorIndex: number, channel: Channel): void {
    this.router.add(topic, agent, actorIndex, channel);
  }

  repartitionTopic(name: string, sources: readonly Topic[]): Topic {
    return this.context.repartition(name, sources);
  }

  topicNamed(name: string): Topic {
    return this.context.named(name);
  }

  deadLetter(event: StreamEvent, reason: string): void {
    this.deadLetters.push({ topic: event.topic, partition: event.partition, offset: event.offset, reason });
  }

  fatal(error: unknown): void {
    this.failure ??= error;
    this.rejectFailure(error);
  }

  isStopping(): boolean {
    return this.stopping;
  }

  onYield(_agent: Agent, value: unknown): void {
    this.yieldedValues.push(value as Out);
  }

  // internals

  private record(record: OutRecord): void {
    const topic = this.context.named(record.topic);
    const decode = (bytes: Buffer | null, part: 'key' | 'value') => {
      if (bytes === null) return null;
      try {
        return (part === 'key' ? topic.keyCodec : topic.valueCodec).decode(bytes);
      } catch (error) {
        return `<undecodable ${part}: ${describeError(error)}>`;
      }
    };
    this.sent.push({
      topic: record.topic,
      key: decode(record.key, 'key'),
      value: decode(record.value, 'value'),
      partition: record.partition,
      headers: record.headers,
    });
    // records for a topic some actor reads (repartition, through) flow on, as on a broker
    if (this.router.get(record.topic)) {
      const partition = record.partition ?? (record.key ? hashBytes(record.key) % this.partitions : 0);
      this.feed(topic, partition, {
        key: record.key,
        value: record.value,
        headers: record.headers ?? {},
        timestamp: record.timestamp ?? String(Date.now()),
      });
    }
  }

  private feed(topic: Topic, partition: number, message: Omit<InboundMessage, 'offset'>): void {
    const route = this.router.get(topic.name);
    if (!route) throw new Error(`no agent in this harness reads ${topic.name}`);
    const id = `${topic.name}:${partition}`;
    const offset = this.offsets.get(id) ?? 0n;
    this.offsets.set(id, offset + 1n);
    const inbound: InboundMessage = { ...message, offset: String(offset) };
    const { completion } = dispatch(
      topic,
      partition,
      [inbound],
      this.router.channelsFor(route, partition),
      (m, reason) => this.deadLetters.push({ topic: topic.name, partition, offset: m.offset, reason }),
    );
    const settled = completion.settled.then(() => {
      this.inflight.delete(settled);
    });
    this.inflight.add(settled);
  }
}

class InMemoryTables implements TablePartitions {
  private readonly partitions = new Map<Table<unknown, unknown>, Map<number, TablePartition<unknown>>>();

  /** `sender`: where the partitions' changelog records go (the harness records them). */
  constructor(private readonly sender: () => RecordSender) {}

  partitionFor(table: Table<unknown, unknown>, partition: number): TablePartition<unknown> {
    let byNumber = this.partitions.get(table);
    if (!byNumber) this.partitions.set(table, (byNumber = new Map()));
    let held = byNumber.get(partition);
    if (!held) {
      held = new TablePartition(
        partition,
        new MemoryPartitionStore(),
        true,
        changelogCodec.encodeValue,
        changelogCodec.decodeValue,
      );
      held.writer = new ChangelogWriter(this.sender(), table.changelog.name, partition);
      byNumber.set(partition, held);
    }
    return held;
  }

  localPartitions(table: Table<unknown, unknown>): Iterable<TablePartition<unknown>> {
    return this.partitions.get(table)?.values() ?? [];
  }
}

/** FNV-1a: spreads keys over the harness's partitions (the broker's murmur2 is not needed here). */
function hashBytes(bytes: Buffer): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/** Starts a harness for `agent`. Call `stop()` at the end of the test. */
export async function testAgent<V, K, Out>(
  agent: Agent<V, K, Out>,
  options: HarnessOptions = {},
): Promise<AgentHarness<V, K, Out>> {
  const harness = new AgentHarness(agent, options);
  await harness.start();
  return harness;
}
