import { isRecordsRefused, RecordsRefusedError, type RefusedRecord } from '../errors/errors.js';
import type { OutRecord, ProducerClient } from '../transport/types.js';

export interface RecordSender {
  /**
   * Queues a record. Returns nothing when there is room, or a promise to await when too
   * many records are in flight (backpressure). Delivery is confirmed by {@link flush}.
   */
  send(record: OutRecord): void | Promise<void>;
  /** Resolves when every record queued before the call is acknowledged; rejects if one failed. */
  flush(): Promise<void>;
}

/** What the producer knows of a topic it writes to (read at worker start). */
export interface TopicLimit {
  /** The topic's `max.message.bytes`: the broker refuses a larger record batch. */
  maxMessageBytes: number;
  /** `cleanup.policy` includes compact: the broker refuses records without a key. */
  compacted: boolean;
}

export interface BufferedProducerOptions {
  client: ProducerClient;
  /** How long a record may wait for others to share its request. */
  lingerMs: number;
  /** Records per produce request, at most. */
  maxBatchRecords: number;
  /**
   * Bytes per produce request, at most (keys, values and headers, plus a per-record allowance),
   * except that a larger record goes alone. Keeps every partition's record batch under the
   * broker's `message.max.bytes`.
   */
  maxRequestBytes: number;
  /** Queued + unacknowledged records above which `send` asks the caller to wait. */
  maxInflightRecords: number;
  /**
   * Limits of the topics written to: a record that cannot fit its topic is refused before it
   * is sent, and requests stay under the smallest limit of their topics.
   */
  topicLimits?: ReadonlyMap<string, TopicLimit>;
  /**
   * Gets each record the broker refuses for what it is (too large, invalid, no such topic),
   * once, and the request's other records are sent again. Records it sends meanwhile are
   * flushed by the same `flush()`. Without it, a refusal fails `flush()` like any error.
   */
  onRefused?: (record: OutRecord, reason: string) => void;
  /** Called with the records of every acknowledged request (metrics count them). */
  onDelivered?: (records: readonly OutRecord[]) => void;
}

/**
 * Batches records into few produce requests, so agents never await the broker per message
 * (DESIGN: no per-message await on I/O). One request is in flight at a time: requests sent
 * side by side can reach a partition out of order (a changelog would then end on an old
 * value), so records queue while one is on its way and leave together in the next.
 * Records queued meanwhile leave in requests of at most `maxBatchRecords` records and
 * `maxRequestBytes` bytes, one after another: kafkajs writes each partition's records of a request
 * as one record batch, which the broker refuses above `message.max.bytes` (1 MiB by default).
 * The worker calls `flush()` before it commits offsets.
 *
 * A record the broker refuses for what it is must neither stop the worker nor hold back the
 * records that shared its request. Refusals known in advance (larger than the topic's limit, no
 * key for a compacted topic) are not sent at all. When the broker refuses a whole request,
 * the request is sent again in parts, one per partition and then halves, until each refused
 * record is alone; each goes to `onRefused`. The broker writes the batches of the other
 * partitions of a refused request without saying so (kafkajs reports the first error only). Sent
 * again as a part of their own, they keep their sequence numbers, so the broker of an idempotent
 * producer knows them; without idempotence they are written twice (at least once, as after any
 * failed request).
 */
export class BufferedProducer implements RecordSender {
  /** Queued records are `buffer[head..]`; those before `head` have left. */
  private buffer: OutRecord[] = [];
  private head = 0;
  /** Parts of a refused request, sent before the buffer (in order). */
  private parts: OutRecord[][] = [];
  private partRecords = 0;
  private inflight: Promise<void> | undefined;
  private inflightRecords = 0;
  private timer: NodeJS.Timeout | undefined;
  private failure: unknown;
  private drained: Array<() => void> = [];
  /** Offset of the last acknowledged record per `topic:partition`. */
  private readonly acked = new Map<string, bigint>();
  private refusedCount = 0;

  constructor(private readonly options: BufferedProducerOptions) {}

  send(record: OutRecord): void | Promise<void> {
    this.buffer.push(record);
    if (this.buffer.length - this.head >= this.options.maxBatchRecords) this.sendBuffer();
    else if (this.timer === undefined && this.inflight === undefined) {
      this.timer = setTimeout(() => this.sendBuffer(), this.options.lingerMs);
    }
    if (this.pending > this.options.maxInflightRecords) return this.drain();
  }

  /** Waits until nothing is queued or in flight; never rejects (a failure waits for flush()). */
  private async drain(): Promise<void> {
    this.sendBuffer();
    if (this.inflight !== undefined) await new Promise<void>((resolve) => this.drained.push(resolve));
  }

  async flush(): Promise<void> {
    this.sendBuffer();
    if (this.inflight !== undefined) await new Promise<void>((resolve) => this.drained.push(resolve));
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
  }

  /** The offset of the last acknowledged record sent to `topic`/`partition`, if any. */
  ackedOffset(topic: string, partition: number): bigint | undefined {
    return this.acked.get(`${topic}:${partition}`);
  }

  /** Records queued or awaiting acknowledgement. */
  get pending(): number {
    return this.inflightRecords + this.partRecords + this.buffer.length - this.head;
  }

  /** Records handed to `onRefused` since start. */
  get refused(): number {
    return this.refusedCount;
  }

  /**
   * The largest record (as {@link recordBytes} counts) that `topic` surely takes: what its
   * limit leaves for one record, or `maxRequestBytes` when the limit is not known.
   */
  maxRecordBytes(topic: string): number {
    const limit = this.options.topicLimits?.get(topic);
    return limit === undefined
      ? this.options.maxRequestBytes
      : limit.maxMessageBytes - RECORD_BATCH_OVERHEAD_BYTES;
  }

  private sendBuffer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // the request in flight sends the buffer when it completes; a refusal handled below may
    // queue records (dead letters) and start a request itself
    while (this.inflight === undefined) {
      const part = this.parts.shift();
      if (part !== undefined) this.partRecords -= part.length;
      else if (this.buffer.length === this.head) return;
      const refused: RefusedRecord[] = [];
      const records = part ?? this.nextRequest(refused);
      if (records.length > 0) this.start(records);
      for (const r of refused) this.refuse(r.record, r.reason);
    }
  }

  private start(records: OutRecord[]): void {
    this.inflightRecords = records.length;
    this.inflight = this.options.client.send(records).then(
      (lastOffsets) => {
        for (const [id, offset] of lastOffsets)
          if (offset > (this.acked.get(id) ?? -1n)) this.acked.set(id, offset);
        this.options.onDelivered?.(records);
        this.completed();
      },
      (error: unknown) => {
        this.failed(records, error);
        this.completed();
      },
    );
  }

  /** A refused request is sent again in parts; a record refused alone goes to `onRefused`. */
  private failed(records: OutRecord[], error: unknown): void {
    if (this.options.onRefused === undefined || !isRecordsRefused(error)) {
      this.failure ??= error;
      return;
    }
    if (error.refused !== undefined) {
      const refused = new Set(error.refused.map((r) => r.record));
      const rest = records.filter((r) => !refused.has(r));
      if (rest.length > 0) this.requeue([rest]);
      for (const r of error.refused) this.refuse(r.record, r.reason);
    } else if (records.length === 1) {
      this.refuse(records[0]!, error.message);
    } else {
      this.requeue(splitRequest(records));
    }
  }

  private requeue(parts: OutRecord[][]): void {
    this.parts = [...parts, ...this.parts];
    for (const part of parts) this.partRecords += part.length;
  }

  private refuse(record: OutRecord, reason: string): void {
    const onRefused = this.options.onRefused;
    if (onRefused === undefined) {
      this.failure ??= new RecordsRefusedError(reason, { refused: [{ record, reason }] });
      return;
    }
    this.refusedCount += 1;
    try {
      onRefused(record, reason);
    } catch (error) {
      this.failure ??= error;
    }
  }

  /**
   * Takes the oldest queued records that fit in one request (at least one record, unless all
   * it looked at were refused in advance; those go to `refused`).
   */
  private nextRequest(refused: RefusedRecord[]): OutRecord[] {
    const { maxBatchRecords, topicLimits } = this.options;
    const buffer = this.buffer;
    const limit = Math.min(buffer.length, this.head + maxBatchRecords);
    let maxBytes = this.options.maxRequestBytes;
    let end = this.head;
    let bytes = 0;
    // records are copied out only once one is refused in advance (rare)
    let kept: OutRecord[] | undefined;
    while (end < limit) {
      const record = buffer[end]!;
      const size = recordBytes(record);
      const topicLimit = topicLimits?.get(record.topic);
      if (topicLimit !== undefined) {
        const reason = refusalOf(record, size, topicLimit);
        if (reason !== undefined) {
          kept ??= buffer.slice(this.head, end);
          refused.push({ record, reason });
          end += 1;
          continue;
        }
        // every partition's batch must fit its topic: the request's smallest limit bounds it
        maxBytes = Math.min(maxBytes, topicLimit.maxMessageBytes - RECORD_BATCH_OVERHEAD_BYTES);
      }
      if (bytes > 0 && bytes + size > maxBytes) break;
      bytes += size;
      kept?.push(record);
      end += 1;
    }
    if (kept === undefined && this.head === 0 && end === buffer.length) {
      this.buffer = [];
      return buffer;
    }
    const request = kept ?? buffer.slice(this.head, end);
    this.head = end;
    // drop the records that left once they are most of the array (amortized: each moves once)
    if (this.head === buffer.length) {
      this.buffer = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > buffer.length) {
      this.buffer = buffer.slice(this.head);
      this.head = 0;
    }
    return request;
  }

  private completed(): void {
    this.inflight = undefined;
    this.inflightRecords = 0;
    this.sendBuffer();
    if (this.inflight !== undefined) return;
    const waiting = this.drained;
    this.drained = [];
    for (const resolve of waiting) resolve();
  }
}

/** Why the broker would refuse `record` for `limit`, if it would. */
function refusalOf(record: OutRecord, size: number, limit: TopicLimit): string | undefined {
  if (size + RECORD_BATCH_OVERHEAD_BYTES > limit.maxMessageBytes) {
    return `record of ${size} bytes does not fit ${record.topic}, whose max.message.bytes is ${limit.maxMessageBytes}`;
  }
  if (limit.compacted && record.key === null)
    return `${record.topic} is compacted and refuses records without a key`;
  return undefined;
}

/**
 * The parts to send again of a request the broker refused: one per partition when it spans
 * several (the broker refuses each partition's batch on its own), else its two halves.
 */
export function splitRequest(records: readonly OutRecord[]): OutRecord[][] {
  const byPartition = new Map<string, OutRecord[]>();
  for (const r of records) {
    const id = `${r.topic}:${r.partition ?? ''}`;
    let part = byPartition.get(id);
    if (!part) byPartition.set(id, (part = []));
    part.push(r);
  }
  if (byPartition.size > 1) return [...byPartition.values()];
  const half = Math.ceil(records.length / 2);
  return [records.slice(0, half), records.slice(half)];
}

/** A record batch's header (v2: offsets, lengths, CRC, attributes, producer ids, count). */
export const RECORD_BATCH_OVERHEAD_BYTES = 61;

/**
 * A record's framing in a v2 record batch, at most: length, offset delta, key and value lengths and
 * header count (varints, 5 bytes each), timestamp delta (varlong, 10) and attributes (1).
 */
const RECORD_OVERHEAD_BYTES = 36;

/** The bytes a record adds to a produce request (an upper bound). */
export function recordBytes(record: OutRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  if (record.headers !== undefined) {
    for (const name in record.headers) {
      const value = record.headers[name]!;
      bytes +=
        10 + Buffer.byteLength(name) + (typeof value === 'string' ? Buffer.byteLength(value) : value.length);
    }
  }
  return bytes;
}
