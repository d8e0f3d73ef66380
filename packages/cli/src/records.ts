import { type Codec, DEAD_LETTER_HEADERS, type TopicRecord } from '@strom/core';

/** The codecs a record is shown with; none: its bytes as text. */
export interface RecordCodecs {
  key: Codec;
  value: Codec;
}

/** Where a dead-letter record came from and why it is there (its `strom.*` headers). */
export interface DeadLetterInfo {
  reason: string;
  topic: string | undefined;
  partition: number | undefined;
  offset: string | undefined;
  timestamp: number | undefined;
}

const DEAD_LETTER_HEADER_NAMES = new Set<string>(Object.values(DEAD_LETTER_HEADERS));
/** Line breaks, tabs and other control characters: printed escaped, as a JSON string. */
const CONTROL = /\p{Cc}/u;

/** The dead-letter headers of a record, if it is a dead letter. */
export function deadLetterInfo(record: TopicRecord): DeadLetterInfo | undefined {
  const h = record.headers;
  const reason = h[DEAD_LETTER_HEADERS.reason];
  if (reason === undefined) return undefined;
  const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));
  return {
    reason,
    topic: h[DEAD_LETTER_HEADERS.topic],
    partition: number(h[DEAD_LETTER_HEADERS.partition]),
    offset: h[DEAD_LETTER_HEADERS.offset],
    timestamp: number(h[DEAD_LETTER_HEADERS.timestamp]),
  };
}

/** Bytes as text when they are printable UTF-8, else as hex (`0x...`). */
function bytesText(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) return `0x${bytes.toString('hex')}`;
  return CONTROL.test(text) ? JSON.stringify(text) : text;
}

/**
 * A key or value for one line: decoded with the codec (a JSON codec's value as compact JSON), or
 * the bytes as text when there is no codec or the bytes do not decode (a dead letter often).
 */
function shown(bytes: Buffer | null, codec: Codec | undefined): string {
  if (bytes === null) return 'null';
  if (!codec) return bytesText(bytes);
  let value: unknown;
  try {
    value = codec.decode(bytes);
  } catch {
    return bytesText(bytes);
  }
  if (Buffer.isBuffer(value)) return bytesText(value);
  if (typeof value === 'string' && codec.name !== 'json')
    return CONTROL.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}

/** For --json: a decoded value as itself, anything else as text. */
function jsonValue(bytes: Buffer | null, codec: Codec | undefined): unknown {
  if (bytes === null) return null;
  if (!codec) return bytesText(bytes);
  try {
    const value = codec.decode(bytes);
    return Buffer.isBuffer(value) ? bytesText(value) : value;
  } catch {
    return bytesText(bytes);
  }
}

function time(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) ? '-' : new Date(ms).toISOString();
}

/** One line: partition, offset, timestamp, key, value, and a dead letter's source and reason. */
export function recordLine(record: TopicRecord, codecs: RecordCodecs | undefined): string {
  const parts = [
    `p${record.partition}`,
    `@${record.offset}`,
    time(record.timestamp),
    `key=${shown(record.key, codecs?.key)}`,
    `value=${shown(record.value, codecs?.value)}`,
  ];
  const dead = deadLetterInfo(record);
  if (dead) {
    parts.push(`source=${dead.topic ?? '?'}[${dead.partition ?? '?'}]@${dead.offset ?? '?'}`);
    parts.push(`reason=${dead.reason}`);
  }
  return parts.join('  ');
}

/** One JSON object per record (--json). */
export function recordJson(record: TopicRecord, codecs: RecordCodecs | undefined): string {
  const headers = Object.fromEntries(
    Object.entries(record.headers).filter(([name]) => !DEAD_LETTER_HEADER_NAMES.has(name)),
  );
  const dead = deadLetterInfo(record);
  return JSON.stringify({
    partition: record.partition,
    offset: record.offset,
    timestamp: time(record.timestamp),
    key: jsonValue(record.key, codecs?.key),
    value: jsonValue(record.value, codecs?.value),
    headers,
    ...(dead ? { deadLetter: { ...dead, timestamp: time(dead.timestamp) } } : {}),
  });
}
