import type { AppContext } from '../app/context.js';
import { ConfigError } from '../errors/errors.js';
import type { Stream } from '../streams/stream.js';
import type { SendOptions, Topic } from '../topics/topic.js';

/** Where an agent's yielded values go. A string names a topic of the app. */
export type Sink<Out> = Topic<Out> | string | Agent<Out> | ((value: Out) => void | Promise<void>);

/** An agent body: loop over the stream; an `async function*` may yield values to its sinks. */
export type AgentFn<T, K, Out> = (stream: Stream<T, K>) => Promise<void> | void | AsyncIterable<Out>;

/** What happens when agent code throws while processing an event. */
export type AgentErrorPolicy = 'dead-letter' | 'stop';

export interface AgentOptions<Out = unknown> {
  /** Default: the function's name. */
  name?: string;
  /**
   * Actors running this agent. Each partition is always handled by the same actor, so events
   * of a partition stay in order while up to `concurrency` partitions run at once. Default 1.
   */
  concurrency?: number;
  /** Topics, agents or callbacks that receive what an `async function*` agent yields. */
  sink?: Array<Sink<Out>>;
  /**
   * `dead-letter` (default): log the error with the event's coordinates, send the event to the
   * dead-letter topic and restart the agent on the next event. `stop`: stop the worker
   * (non-zero exit) without committing the failed event.
   */
  onError?: AgentErrorPolicy;
}

/**
 * A stream processor bound to one or more topics. Create with `app.agent(...)`; a worker runs
 * it on the partitions assigned to it.
 */
export class Agent<T = unknown, K = unknown, Out = unknown> {
  readonly name: string;
  readonly concurrency: number;
  readonly sinks: ReadonlyArray<Sink<Out>>;
  readonly onError: AgentErrorPolicy;

  constructor(
    readonly topics: ReadonlyArray<Topic<T, K>>,
    readonly fn: AgentFn<T, K, Out>,
    options: AgentOptions<Out> & { name: string },
    /** @internal the app this agent belongs to (for workers and the test harness) */
    readonly context: AppContext,
  ) {
    if (topics.length === 0) throw new ConfigError(`agent ${options.name}: give at least one topic`);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new ConfigError(
        `agent ${options.name}: concurrency must be a positive integer, got ${concurrency}`,
      );
    }
    this.name = options.name;
    this.concurrency = concurrency;
    this.sinks = options.sink ?? [];
    this.onError = options.onError ?? 'dead-letter';
  }

  /** Sends `value` to the agent's (first) topic, like any producer would. */
  send(value: T, options: SendOptions<K> = {}): Promise<void> {
    return this.topics[0]!.send(value, options);
  }

  toString(): string {
    return `agent ${this.name}`;
  }
}
