import type { RecordSender } from '../producer/buffered-producer.js';
import type { Topic } from '../topics/topic.js';
import type { Channel } from './channel.js';
import type { StreamEvent } from './event.js';

/** Unfinished events a reader holds: finished on its next pull, or by its actor when it stops. */
export interface Holder {
  held: StreamEvent[];
}

/**
 * What a stream needs from the actor running it. Kept narrow so streams can be driven by the
 * worker, by the test harness, or by anything else that provides channels.
 */
export interface StreamContext {
  /** For error messages: which agent this is. */
  readonly description: string;
  sender(): RecordSender;
  /** The channel where records of `topic` routed to this actor arrive; subscribes to the topic. */
  topicChannel(topic: Topic): Channel;
  /** The app's repartition topic `<appId>-<name>-repartition`, created on first use. */
  repartitionTopic(name: string, sources: readonly Topic[]): Topic;
  /** A topic of the app by name (declared with `app.topic`, or a new one with defaults). */
  topicNamed(name: string): Topic;
  /** Returns the value stored under `key`, creating it once per actor (survives agent restarts). */
  memo<T>(key: string, create: () => T): T;
  /** Runs a background loop of this actor (a forwarder); its failure is logged, not thrown. */
  spawn(name: string, loop: () => Promise<void>): void;
  deadLetter(event: StreamEvent, reason: string): void;
  /** The event the agent is working on (read by tables); `batch`: the rest of a take() batch. */
  setCurrent(event: StreamEvent | undefined, batch?: readonly StreamEvent[]): void;
  /** Registers a reader whose held events the actor settles when the agent stops. */
  track(holder: Holder): void;
}
