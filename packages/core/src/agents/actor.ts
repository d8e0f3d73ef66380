import { describeError, isStromError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import type { RecordSender } from '../producer/buffered-producer.js';
import { Channel } from '../streams/channel.js';
import type { Holder, StreamContext } from '../streams/context.js';
import { type EventSlot, runWithEventSlot } from '../streams/current-event.js';
import { finish, type StreamEvent } from '../streams/event.js';
import { Stream } from '../streams/stream.js';
import type { Topic } from '../topics/topic.js';
import type { Agent } from './agent.js';

/** What an actor needs from whoever runs it: the worker, or the test harness. */
export interface ActorHost {
  readonly log: Logger;
  sender(): RecordSender;
  /** Delivers records of `topic` that belong to this actor's partitions into `channel`. */
  route(topic: Topic, agent: Agent, actorIndex: number, channel: Channel): void;
  repartitionTopic(name: string, sources: readonly Topic[]): Topic;
  topicNamed(name: string): Topic;
  deadLetter(event: StreamEvent, reason: string): void;
  /** The agent failed under the `stop` policy: stop the worker. */
  fatal(error: unknown, agent: Agent): void;
  isStopping(): boolean;
  /** False when nothing reads the current event (no tables): actors skip AsyncLocalStorage. */
  usesEventSlot?(): boolean;
  /** Sees every value the agent yields (the test harness records them). */
  onYield?(agent: Agent, value: unknown): void;
}

/**
 * One running instance of an agent: its channels, its background forwarders, and the
 * supervision that dead-letters a failing event and restarts the agent function.
 */
export class Actor implements StreamContext {
  readonly description: string;
  readonly root: Channel;
  private readonly channels = new Map<string, Channel>();
  private readonly memos = new Map<string, unknown>();
  private readonly holders = new Set<Holder>();
  private readonly tasks: Promise<void>[] = [];
  private readonly slot: EventSlot = { current: undefined };
  private readonly log: Logger;
  private markReady!: () => void;
  /** Resolves once the agent reads a stream or returns: its topics are known by then. */
  readonly ready: Promise<void> = new Promise((resolve) => {
    this.markReady = resolve;
  });
  private running: Promise<void> | undefined;

  constructor(
    readonly agent: Agent,
    readonly index: number,
    private readonly host: ActorHost,
  ) {
    this.description = agent.concurrency > 1 ? `agent ${agent.name}#${index}` : `agent ${agent.name}`;
    this.root = new Channel(this.description);
    this.log = host.log.child({ agent: agent.name, actor: index });
  }

  start(): void {
    for (const topic of this.agent.topics) this.host.route(topic as Topic, this.agent, this.index, this.root);
    // AsyncLocalStorage turns on promise hooks for the whole process (Node 20): only tables read
    // the current event, so an app without tables does without it
    this.running =
      this.host.usesEventSlot?.() === false
        ? this.supervise()
        : runWithEventSlot(this.slot, () => this.supervise());
  }

  /**
   * Ends every stream of this actor and waits for the agent to return. `drain` lets the agent
   * read what is queued first (the test harness); otherwise queued events are abandoned unread,
   * so only the events the agent is inside of finish (a stopping worker).
   */
  async stop(options: { drain: boolean } = { drain: true }): Promise<void> {
    for (const channel of [this.root, ...this.channels.values()]) {
      if (options.drain) channel.close();
      else channel.abandon();
    }
    await this.running;
    await Promise.allSettled(this.tasks);
  }

  // StreamContext

  sender(): RecordSender {
    return this.host.sender();
  }

  topicChannel(topic: Topic): Channel {
    if (this.agent.topics.includes(topic)) return this.root;
    let channel = this.channels.get(topic.name);
    if (!channel) {
      channel = new Channel(`${this.description} <- ${topic.name}`);
      this.channels.set(topic.name, channel);
      this.host.route(topic, this.agent, this.index, channel);
    }
    return channel;
  }

  repartitionTopic(name: string, sources: readonly Topic[]): Topic {
    return this.host.repartitionTopic(name, sources);
  }

  topicNamed(name: string): Topic {
    return this.host.topicNamed(name);
  }

  memo<T>(key: string, create: () => T): T {
    if (!this.memos.has(key)) this.memos.set(key, create());
    return this.memos.get(key) as T;
  }

  spawn(name: string, loop: () => Promise<void>): void {
    this.tasks.push(
      loop().catch((error: unknown) => {
        this.log.error({ err: error, forwarder: name }, 'stream forwarder stopped');
        this.host.fatal(error, this.agent);
      }),
    );
  }

  deadLetter(event: StreamEvent, reason: string): void {
    this.host.deadLetter(event, reason);
  }

  setCurrent(event: StreamEvent | undefined, batch?: readonly StreamEvent[]): void {
    this.slot.current = event;
    this.slot.mixedPartitions = mixedPartitions(event, batch);
  }

  track(holder: Holder): void {
    this.holders.add(holder);
    this.markReady();
  }

  // supervision

  private async supervise(): Promise<void> {
    let idleFailures = 0;
    while (!this.host.isStopping()) {
      try {
        await this.invoke();
        this.markReady();
        for (const event of this.takeHeld()) event.done();
        if (!this.host.isStopping()) this.drainUnread();
        return;
      } catch (error) {
        this.markReady();
        const held = this.takeHeld();
        // stopping: leave the events unfinished, so their offsets are not committed
        if (this.host.isStopping()) return;
        // a mistake in how the agent is written (not in an event) would fail again on every
        // restart, and a damaged table store on every event of its partition
        if (
          this.agent.onError === 'stop' ||
          (isStromError(error) && ['CONFIG', 'STORE'].includes(error.code))
        ) {
          this.log.error({ err: error, ...coordinates(held[0]) }, 'agent failed; stopping the worker');
          this.host.fatal(error, this.agent);
          return;
        }
        for (const event of held) {
          this.host.deadLetter(event, `${this.description} failed: ${describeError(error)}`);
          event.done();
        }
        this.log.error(
          { err: error, ...coordinates(held[0]), events: held.length },
          'agent failed on an event; event dead-lettered, agent restarted',
        );
        idleFailures = held.length === 0 ? idleFailures + 1 : 0;
        if (idleFailures > 0) await sleep(Math.min(30_000, 250 * 2 ** idleFailures));
      }
    }
  }

  private async invoke(): Promise<void> {
    const stream = new Stream(this, this.root, [], this.agent.topics as readonly Topic[]);
    const result = this.agent.fn(stream);
    if (result !== undefined && typeof result === 'object' && Symbol.asyncIterator in result) {
      const sinks = this.agent.sinks.map((sink) =>
        typeof sink === 'string' ? this.host.topicNamed(sink) : sink,
      );
      for await (const value of result) {
        this.host.onYield?.(this.agent, value);
        const origin = this.slot.current;
        for (const sink of sinks) {
          if (typeof sink === 'function') await sink(value);
          else await sink.send(value as never, { key: origin?.key as never, origin });
        }
      }
      return;
    }
    await result;
  }

  private takeHeld(): StreamEvent[] {
    const held: StreamEvent[] = [];
    for (const holder of this.holders) {
      held.push(...holder.held.filter((e) => !e.finished));
      holder.held = [];
    }
    this.holders.clear();
    return held;
  }

  /** The agent returned but records keep coming: finish them so the partition does not stall. */
  private drainUnread(): void {
    const unread = [this.root, ...this.channels.values()].filter((c) => !c.hasConsumer);
    if (unread.length === 0) return;
    this.log.warn(
      { channels: unread.map((c) => c.name) },
      'agent returned; events that reach it from now on are acknowledged without processing',
    );
    for (const channel of unread) {
      this.spawn(`drain ${channel.name}`, async () => {
        for (let item = await channel.next(); item !== undefined; item = await channel.next()) finish(item);
      });
    }
  }
}

function coordinates(event: StreamEvent | undefined) {
  return event === undefined ? {} : { topic: event.topic, partition: event.partition, offset: event.offset };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** The partitions of a batch (its first event and the rest) when they are more than one. */
function mixedPartitions(
  event: StreamEvent | undefined,
  rest: readonly StreamEvent[] | undefined,
): number[] | undefined {
  if (event === undefined || rest === undefined) return undefined;
  const partitions = new Set([event.partition, ...rest.map((e) => e.partition)]);
  return partitions.size > 1 ? [...partitions].sort((a, b) => a - b) : undefined;
}
