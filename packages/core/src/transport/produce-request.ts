import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4's Produce request v3 (`src/protocol/requests/produce/v3/request.js`, which v4-v7
 * reuse), with the record batch of an uncompressed partition written in one pass into one
 * buffer. kafkajs builds every record through a spread copy of the message, an `Encoder` of its
 * own (a zeroed 512-byte buffer), an array and a `Buffer` per varint and 64-bit `Long` arithmetic
 * for the timestamp delta: 10-15 % of a worker's CPU and much of its garbage (issue #18). The
 * bytes are the same as kafkajs'; whatever this path does not cover (compression, a key, value or
 * header that is not a Buffer or a string, a timestamp delta beyond 2^51) goes through kafkajs'
 * own record and batch encoders, as before.
 */

/** kafkajs' protocol encoder, as far as this module uses it. */
interface Encoder {
  writeString(value: string | null): Encoder;
  writeInt8(value: number): Encoder;
  writeInt16(value: number): Encoder;
  writeInt32(value: number): Encoder;
  writeUInt32(value: number): Encoder;
  writeInt64(value: unknown): Encoder;
  writeBytes(value: Buffer): Encoder;
  writeBuffer(value: Buffer): Encoder;
  writeEncoder(value: Encoder): Encoder;
  writeArray(value: readonly Encoder[]): Encoder;
  size(): number;
  readonly buffer: Buffer;
}

type Headers = Record<string, unknown>;

/** A message as kafkajs' producer hands it to the request. */
export interface ProduceMessage {
  key?: unknown;
  value?: unknown;
  headers?: Headers;
  timestamp?: string | number | null;
}

interface PartitionData {
  partition: number;
  messages: readonly ProduceMessage[];
  firstSequence?: number;
}

interface TopicData {
  topic: string;
  partitions: readonly PartitionData[];
}

interface Ids {
  transactionalId: string | null;
  producerId: unknown;
  producerEpoch: number;
}

const require = createRequire(import.meta.url);
const kafkajsModule = <T>(path: string): T => require(`kafkajs/src/${path}`) as T;
const EncoderClass = kafkajsModule<new () => Encoder>('protocol/encoder.js');
const Long = kafkajsModule<{ fromInt(value: number): unknown }>('utils/long.js');
const { Produce: apiKey } = kafkajsModule<{ Produce: number }>('protocol/requests/apiKeys.js');
const { Types: CompressionTypes } = kafkajsModule<{ Types: { None: number } }>(
  'protocol/message/compression/index.js',
);
const Record = kafkajsModule<(record: Record<string, unknown>) => Encoder>(
  'protocol/recordBatch/record/v0/index.js',
);
const { RecordBatch } = kafkajsModule<{ RecordBatch: (batch: Record<string, unknown>) => Promise<Encoder> }>(
  'protocol/recordBatch/v0/index.js',
);
const crc32C = kafkajsModule<(buffer: Buffer) => number>('protocol/recordBatch/crc32C/index.js');

const MAGIC_BYTE = 2;
const TRANSACTIONAL_MASK = 16;
/** Timestamp deltas whose zigzag form is still an exact double. */
const MAX_FAST_DELTA = 2 ** 51;

/**
 * The Produce v3 request: `transactional_id acks timeout [topic [partition record_set]]`.
 * Same arguments and result as kafkajs' module (the loader puts it in that module's place).
 */
export function produceRequestV3({
  acks,
  timeout,
  transactionalId = null,
  producerId = Long.fromInt(-1),
  producerEpoch = 0,
  compression = CompressionTypes.None,
  topicData,
}: {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: readonly TopicData[];
}) {
  return {
    apiKey,
    apiVersion: 3,
    apiName: 'Produce',
    expectResponse: () => acks !== 0,
    encode: async (): Promise<Encoder> => {
      const ids: Ids = { transactionalId, producerId, producerEpoch };
      const topics: Encoder[] = [];
      for (const { topic, partitions } of topicData) {
        const encoded: Encoder[] = [];
        for (const data of partitions) encoded.push(await encodePartition(data, ids, compression));
        topics.push(new EncoderClass().writeString(topic).writeArray(encoded));
      }
      return new EncoderClass()
        .writeString(transactionalId)
        .writeInt16(acks)
        .writeInt32(timeout)
        .writeArray(topics);
    },
  };
}

/** `partition record_set`: the partition's messages as one record batch. */
async function encodePartition(
  { partition, messages, firstSequence }: PartitionData,
  ids: Ids,
  compression: number,
): Promise<Encoder> {
  const dateNow = Date.now();
  // as kafkajs: the smallest and largest timestamps in (string) sort order, or now
  const timestamps = messages
    .map((m) => m.timestamp)
    .filter((t) => t != null)
    .sort();
  const firstTimestamp = timestamps.length === 0 ? dateNow : timestamps[0]!;
  const maxTimestamp = timestamps.length === 0 ? dateNow : timestamps[timestamps.length - 1]!;
  const batch = {
    firstTimestamp,
    maxTimestamp,
    producerId: ids.producerId,
    producerEpoch: ids.producerEpoch,
    firstSequence: firstSequence ?? 0,
    transactional: Boolean(ids.transactionalId),
  };
  const recordSet =
    (compression === CompressionTypes.None && recordBatchInOnePass(messages, dateNow, batch)) ||
    (await recordBatchOfKafkaJs(messages, dateNow, batch, compression));
  return new EncoderClass().writeInt32(partition).writeInt32(recordSet.length).writeBuffer(recordSet);
}

export interface BatchFields {
  firstTimestamp: string | number;
  maxTimestamp: string | number;
  producerId: unknown;
  producerEpoch: number;
  firstSequence: number;
  transactional: boolean;
}

/** kafkajs' way, for what the one-pass writer does not cover. */
async function recordBatchOfKafkaJs(
  messages: readonly ProduceMessage[],
  dateNow: number,
  batch: BatchFields,
  compression: number,
): Promise<Buffer> {
  const records = messages.map((message, i) =>
    Record({
      ...message,
      offsetDelta: i,
      timestampDelta: Number(message.timestamp || dateNow) - Number(batch.firstTimestamp),
    }),
  );
  const encoded = await RecordBatch({ ...batch, compression, records, lastOffsetDelta: records.length - 1 });
  return encoded.buffer;
}

/** One record's parts, measured before anything is written. */
interface Measured {
  key: Buffer | string | null;
  keyBytes: number;
  value: Buffer | string | null;
  valueBytes: number;
  headers: Array<[string, number, Buffer | string, number]>;
  zigzagDelta: number;
  bodyBytes: number;
}

/**
 * The record set (`firstOffset length partitionLeaderEpoch magic crc attributes ...records`) of
 * uncompressed messages, written into one buffer; undefined when a message needs kafkajs' path.
 */
export function recordBatchInOnePass(
  messages: readonly ProduceMessage[],
  dateNow: number,
  batch: BatchFields,
): Buffer | undefined {
  if (messages.length === 0) return undefined;
  const measured: Measured[] = new Array(messages.length);
  let recordsBytes = 0;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    const key = bytesOf(message.key);
    const value = bytesOf(message.value);
    if (key === undefined || value === undefined) return undefined;
    const delta = Number(message.timestamp || dateNow) - Number(batch.firstTimestamp);
    if (!Number.isSafeInteger(delta) || Math.abs(delta) >= MAX_FAST_DELTA) return undefined;
    const headers = headersOf(message.headers);
    if (headers === undefined) return undefined;
    const zigzagDelta = delta >= 0 ? delta * 2 : -delta * 2 - 1;
    const keyBytes = key === null ? -1 : byteLength(key);
    const valueBytes = value === null ? -1 : byteLength(value);
    let bodyBytes =
      1 +
      unsignedVarIntBytes(zigzagDelta) +
      varIntBytes(i) +
      varIntBytes(keyBytes) +
      Math.max(keyBytes, 0) +
      varIntBytes(valueBytes) +
      Math.max(valueBytes, 0) +
      varIntBytes(headers.length);
    for (const [, headerKeyBytes, , headerValueBytes] of headers)
      bodyBytes +=
        varIntBytes(headerKeyBytes) + headerKeyBytes + varIntBytes(headerValueBytes) + headerValueBytes;
    measured[i] = { key, keyBytes, value, valueBytes, headers, zigzagDelta, bodyBytes };
    recordsBytes += varIntBytes(bodyBytes) + bodyBytes;
  }
  // attributes lastOffsetDelta firstTimestamp maxTimestamp producerId producerEpoch firstSequence count
  const fields = new EncoderClass()
    .writeInt16(batch.transactional ? TRANSACTIONAL_MASK : 0)
    .writeInt32(messages.length - 1)
    .writeInt64(batch.firstTimestamp)
    .writeInt64(batch.maxTimestamp)
    .writeInt64(batch.producerId)
    .writeInt16(batch.producerEpoch)
    .writeInt32(batch.firstSequence)
    .writeInt32(messages.length).buffer;
  // firstOffset (8) length (4) partitionLeaderEpoch (4) magic (1) crc (4), then the crc'd body
  const bodyStart = 21;
  const out = Buffer.allocUnsafe(bodyStart + fields.length + recordsBytes);
  out.fill(0, 0, 8);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt32BE(0, 12);
  out.writeInt8(MAGIC_BYTE, 16);
  let at = bodyStart + fields.copy(out, bodyStart);
  for (let i = 0; i < measured.length; i++) {
    const r = measured[i]!;
    at = writeVarInt(out, at, r.bodyBytes);
    out[at++] = 0; // attributes
    at = writeUnsignedVarInt(out, at, r.zigzagDelta);
    at = writeVarInt(out, at, i);
    at = writeBytes(out, writeVarInt(out, at, r.keyBytes), r.key, r.keyBytes);
    at = writeBytes(out, writeVarInt(out, at, r.valueBytes), r.value, r.valueBytes);
    at = writeVarInt(out, at, r.headers.length);
    for (const [headerKey, headerKeyBytes, headerValue, headerValueBytes] of r.headers) {
      at = writeBytes(out, writeVarInt(out, at, headerKeyBytes), headerKey, headerKeyBytes);
      at = writeBytes(out, writeVarInt(out, at, headerValueBytes), headerValue, headerValueBytes);
    }
  }
  out.writeUInt32BE(crc32C(out.subarray(bodyStart)), 17);
  return out;
}

/** A key or value as bytes or text; null for none; undefined for what kafkajs' path handles. */
function bytesOf(value: unknown): Buffer | string | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  return undefined;
}

/** The headers as `[key, key bytes, value, value bytes]`, as kafkajs flattens array values. */
function headersOf(headers: Headers | undefined): Measured['headers'] | undefined {
  const flat: Measured['headers'] = [];
  if (headers === undefined) return flat;
  if (headers === null || typeof headers !== 'object') return undefined;
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    for (const one of Array.isArray(value) ? value : [value]) {
      if (typeof one !== 'string' && !Buffer.isBuffer(one)) return undefined;
      flat.push([key, Buffer.byteLength(key), one, byteLength(one)]);
    }
  }
  return flat;
}

const byteLength = (value: Buffer | string) =>
  typeof value === 'string' ? Buffer.byteLength(value) : value.length;

/** Bytes of a zigzag varint of a 32-bit integer (kafkajs `Encoder.sizeOfVarInt`). */
function varIntBytes(value: number): number {
  let encoded = (value << 1) ^ (value >> 31);
  let bytes = 1;
  while ((encoded & 0xffffff80) !== 0) {
    bytes += 1;
    encoded >>>= 7;
  }
  return bytes;
}

/** Bytes of an unsigned varint of a non-negative integer below 2^53. */
function unsignedVarIntBytes(value: number): number {
  let bytes = 1;
  for (let v = value; v >= 128; v = Math.floor(v / 128)) bytes += 1;
  return bytes;
}

function writeVarInt(out: Buffer, at: number, value: number): number {
  let encoded = (value << 1) ^ (value >> 31);
  while ((encoded & 0xffffff80) !== 0) {
    out[at++] = (encoded & 0x7f) | 0x80;
    encoded >>>= 7;
  }
  out[at++] = encoded & 0x7f;
  return at;
}

function writeUnsignedVarInt(out: Buffer, at: number, value: number): number {
  let v = value;
  while (v >= 128) {
    out[at++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[at++] = v;
  return at;
}

function writeBytes(out: Buffer, at: number, value: Buffer | string | null, bytes: number): number {
  if (value === null) return at;
  if (typeof value === 'string') out.write(value, at, bytes, 'utf8');
  else value.copy(out, at);
  return at + bytes;
}
