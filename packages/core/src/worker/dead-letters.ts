import type { Logger } from '../logging/logger.js';
import { type RecordSender, recordBytes } from '../producer/buffered-producer.js';
import type { Headers, InboundMessage, OutRecord, RecordOrigin } from '../transport/types.js';

/** Header names on dead-letter records. */
export const DEAD_LETTER_HEADERS = {
  reason: 'strom.error',
  topic: 'strom.source.topic',
  partition: 'strom.source.partition',
  offset: 'strom.source.offset',
  timestamp: 'strom.source.timestamp',
  /** The topic a record was sent to when the broker refused it. */
  target: 'strom.target.topic',
  /** Bytes of the original key and value (absent: null). */
  keyBytes: 'strom.original.key.bytes',
  valueBytes: 'strom.original.value.bytes',
  /** What was cut to fit the dead-letter topic: `key`, `value`, `headers`, comma-separated. */
  truncated: 'strom.truncated',
} as const;

export interface DeadLetterSource {
  topic: string;
  partition: number;
  message: InboundMessage;
  /** Where this record's topic sends its dead letters. */
  deadLetterTopic: string;
}

/** A dead letter as the dashboard lists it. */
export interface RecentDeadLetter {
  atMs: number;
  /** Where the record came from. */
  topic: string;
  partition: number;
  offset: string;
  reason: string;
  deadLetterTopic: string;
}

/** Dead letters kept for the dashboard: the newest, a few, short reasons. */
const RECENT_DEAD_LETTERS = 50;
const RECENT_REASON_CHARS = 500;

export interface DeadLetterWriterOptions {
  sender: () => RecordSender;
  log: Logger;
  /** The dead-letter topic of an input topic. */
  deadLetterTopicOf: (topic: string) => string;
  /** The largest record (as `recordBytes` counts) that `topic` surely takes. */
  maxRecordBytes: (topic: string) => number;
}

/** The parts of a dead letter before it is cut to fit. */
export interface DeadLetterParts {
  /** The dead-letter topic. */
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  /** The original record's headers, kept unless they alone do not fit. */
  headers: Readonly<Record<string, Buffer | string | undefined>> | undefined;
  reason: string;
  source: RecordOrigin;
  sourceTimestamp?: string;
  /** For a record the broker refused: the topic it was sent to. */
  target?: string;
}

/**
 * Sends what could not be processed or written to the dead-letter topic of the input it came
 * from, with the reason and origin in headers, the key and value unchanged unless they must be
 * cut to fit the dead-letter topic. One warning per record; a dead letter the broker refuses
 * too is logged as an error and counted, never sent again (no loop).
 */
export class DeadLetterWriter {
  private readonly counts = new Map<string, number>();
  private truncatedCount = 0;
  private undeliverableCount = 0;
  private readonly recentLetters: RecentDeadLetter[] = [];

  constructor(private readonly options: DeadLetterWriterOptions) {}

  /** A record that could not be decoded or processed. */
  write(source: DeadLetterSource, reason: string): void | Promise<void> {
    const { topic, partition, message, deadLetterTopic } = source;
    this.options.log.warn(
      { topic, partition, offset: message.offset, reason, deadLetterTopic },
      'sent to dead-letter topic',
    );
    return this.send({
      topic: deadLetterTopic,
      key: message.key,
      value: message.value,
      headers: message.headers,
      reason,
      source: { topic, partition, offset: message.offset },
      sourceTimestamp: message.timestamp,
    });
  }

  /** A record the broker refuses, or would (the producer's `onRefused`). */
  writeRefused(record: OutRecord, reason: string): void {
    const { log } = this.options;
    const origin = record.origin;
    const bytes = (record.key?.length ?? 0) + (record.value?.length ?? 0);
    if (origin === undefined) {
      this.undeliverableCount += 1;
      log.error(
        { target: record.topic, reason, bytes },
        'a record sent outside event processing cannot be written: it is not written anywhere',
      );
      return;
    }
    const coordinates = { topic: origin.topic, partition: origin.partition, offset: origin.offset };
    const deadLetterTopic = this.options.deadLetterTopicOf(origin.topic);
    if (record.topic === deadLetterTopic) {
      this.undeliverableCount += 1;
      log.error(
        { ...coordinates, deadLetterTopic, reason, bytes },
        'a dead letter cannot be written: the record is in its source topic only',
      );
      return;
    }
    log.warn(
      { ...coordinates, target: record.topic, reason, bytes, deadLetterTopic },
      'a record cannot be written to its topic; sent to dead-letter topic',
    );
    void this.send({
      topic: deadLetterTopic,
      key: record.key,
      value: record.value,
      headers: record.headers,
      reason: `could not be written to ${record.topic}: ${reason}`,
      source: origin,
      target: record.topic,
    });
  }

  /** Dead letters written per dead-letter topic since start. */
  get written(): ReadonlyMap<string, number> {
    return this.counts;
  }

  /** The newest dead letters written (at most 50), oldest first. */
  get recent(): readonly RecentDeadLetter[] {
    return this.recentLetters;
  }

  /** Dead letters cut to fit since start. */
  get truncated(): number {
    return this.truncatedCount;
  }

  /** Records neither written nor dead-lettered since start (each logged as an error). */
  get undeliverable(): number {
    return this.undeliverableCount;
  }

  private send(parts: DeadLetterParts): void | Promise<void> {
    const record = deadLetterRecord(parts, this.options.maxRecordBytes(parts.topic));
    this.counts.set(parts.topic, (this.counts.get(parts.topic) ?? 0) + 1);
    const { topic, partition, offset } = parts.source;
    this.recentLetters.push({
      atMs: Date.now(),
      topic,
      partition,
      offset,
      reason: parts.reason.slice(0, RECENT_REASON_CHARS),
      deadLetterTopic: parts.topic,
    });
    if (this.recentLetters.length > RECENT_DEAD_LETTERS) this.recentLetters.shift();
    if (record.headers![DEAD_LETTER_HEADERS.truncated] !== undefined) this.truncatedCount += 1;
    return this.options.sender().send(record);
  }
}

/** A reason is an error message, which may quote a whole input: it must not crowd out the record. */
const MAX_REASON_CHARS = 2000;

/**
 * The dead-letter record of `parts`, at most `maxBytes` as `recordBytes` counts: the original
 * headers go first if they alone do not fit, then the key and value are cut to prefixes (the
 * key keeps what it can, the value gets the rest), and `strom.truncated` says what was cut.
 */
export function deadLetterRecord(parts: DeadLetterParts, maxBytes: number): OutRecord {
  const strom: Headers = {
    [DEAD_LETTER_HEADERS.reason]:
      parts.reason.length > MAX_REASON_CHARS ? `${parts.reason.slice(0, MAX_REASON_CHARS)}…` : parts.reason,
    [DEAD_LETTER_HEADERS.topic]: parts.source.topic,
    [DEAD_LETTER_HEADERS.partition]: String(parts.source.partition),
    [DEAD_LETTER_HEADERS.offset]: parts.source.offset,
  };
  if (parts.sourceTimestamp !== undefined) strom[DEAD_LETTER_HEADERS.timestamp] = parts.sourceTimestamp;
  if (parts.target !== undefined) strom[DEAD_LETTER_HEADERS.target] = parts.target;
  strom[DEAD_LETTER_HEADERS.keyBytes] = String(parts.key?.length ?? 'null');
  strom[DEAD_LETTER_HEADERS.valueBytes] = String(parts.value?.length ?? 'null');
  const headers: Headers = {};
  for (const [name, value] of Object.entries(parts.headers ?? {}))
    if (value !== undefined) headers[name] = value;
  Object.assign(headers, strom);
  const whole: OutRecord = {
    topic: parts.topic,
    key: parts.key,
    value: parts.value,
    headers,
    origin: parts.source,
  };
  if (recordBytes(whole) <= maxBytes) return whole;

  const cut: string[] = [];
  // room for the longest `strom.truncated` value, so adding it cannot overflow
  const marker = { [DEAD_LETTER_HEADERS.truncated]: 'headers,key,value' };
  let kept: Headers = headers;
  if (recordBytes({ ...whole, key: null, value: null, headers: { ...headers, ...marker } }) > maxBytes) {
    kept = { ...strom };
    cut.push('headers');
  }
  let room = Math.max(
    0,
    maxBytes - recordBytes({ ...whole, key: null, value: null, headers: { ...kept, ...marker } }),
  );
  let key = parts.key;
  if (key !== null && key.length > room) {
    key = key.subarray(0, room);
    cut.push('key');
  }
  room -= key?.length ?? 0;
  let value = parts.value;
  if (value !== null && value.length > room) {
    value = value.subarray(0, room);
    cut.push('value');
  }
  kept[DEAD_LETTER_HEADERS.truncated] = cut.join(',');
  return { topic: parts.topic, key, value, headers: kept, origin: parts.source };
}
