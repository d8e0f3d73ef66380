import type { Logger } from '../logging/logger.js';
import type { RecordSender } from '../producer/buffered-producer.js';
import type { Headers, InboundMessage } from '../transport/types.js';

/** Header names on dead-letter records. */
export const DEAD_LETTER_HEADERS = {
  reason: 'strom.error',
  topic: 'strom.source.topic',
  partition: 'strom.source.partition',
  offset: 'strom.source.offset',
  timestamp: 'strom.source.timestamp',
} as const;

export interface DeadLetterSource {
  topic: string;
  partition: number;
  message: InboundMessage;
  /** Where this record's topic sends its dead letters. */
  deadLetterTopic: string;
}

/**
 * Sends records that could not be decoded or processed to their dead-letter topic, bytes
 * unchanged, with the reason and origin in headers; one warning per record.
 */
export class DeadLetterWriter {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly sender: () => RecordSender,
    private readonly log: Logger,
  ) {}

  write(source: DeadLetterSource, reason: string): void | Promise<void> {
    const { topic, partition, message, deadLetterTopic } = source;
    const headers: Headers = {};
    for (const [name, value] of Object.entries(message.headers))
      if (value !== undefined) headers[name] = value;
    headers[DEAD_LETTER_HEADERS.reason] = reason;
    headers[DEAD_LETTER_HEADERS.topic] = topic;
    headers[DEAD_LETTER_HEADERS.partition] = String(partition);
    headers[DEAD_LETTER_HEADERS.offset] = message.offset;
    headers[DEAD_LETTER_HEADERS.timestamp] = message.timestamp;
    this.counts.set(deadLetterTopic, (this.counts.get(deadLetterTopic) ?? 0) + 1);
    this.log.warn(
      { topic, partition, offset: message.offset, reason, deadLetterTopic },
      'sent to dead-letter topic',
    );
    return this.sender().send({ topic: deadLetterTopic, key: message.key, value: message.value, headers });
  }

  /** Dead letters written per dead-letter topic since start. */
  get written(): ReadonlyMap<string, number> {
    return this.counts;
  }
}
