import type { Channel } from '../streams/channel.js';
import { Completion, type Item, StreamEvent } from '../streams/event.js';
import type { Topic } from '../topics/topic.js';
import type { InboundMessage } from '../transport/types.js';

/** The events one dispatch queued, and what settles once every one of them is finished. */
export interface Dispatched {
  events: StreamEvent[];
  completion: Completion;
}

/**
 * Hands records of one topic partition to the agents that read it: decodes each record,
 * dead-letters those that fail, and queues the rest to every subscribed channel as events that
 * share one Completion. The worker dispatches each fetched batch, the test harness each record.
 */
export function dispatch(
  topic: Topic,
  partition: number,
  messages: readonly InboundMessage[],
  channels: readonly Channel[],
  deadLetter: (message: InboundMessage, reason: string) => void,
): Dispatched {
  const accepted: Array<{ message: InboundMessage; key: unknown; value: unknown }> = [];
  for (const message of messages) {
    const decoded = topic.decode(message);
    if (decoded.ok) accepted.push({ message, key: decoded.key, value: decoded.value });
    else deadLetter(message, decoded.reason);
  }
  const completion = new Completion(accepted.length * channels.length);
  const queues: Item[][] = channels.map(() => []);
  const events: StreamEvent[] = [];
  for (const { message, key, value } of accepted) {
    for (let i = 0; i < channels.length; i++) {
      const event = new StreamEvent(topic.name, partition, message, key, value, completion);
      events.push(event);
      queues[i]!.push({ event, value });
    }
  }
  for (let i = 0; i < channels.length; i++) channels[i]!.push(queues[i]!);
  return { events, completion };
}
