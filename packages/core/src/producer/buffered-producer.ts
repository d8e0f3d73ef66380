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
 */
export class BufferedProducer implements RecordSender {
  /** Queued records are `buffer[head..]`; those before `head` have left. */
  private buffer: OutRecord[] = [];
  private head = 0;
  private inflight: Promise<void> | undefined;
  private inflightRecords = 0;
  private timer: NodeJS.Timeout | undefined;
  private failure: unknown;
  private drained: Array<() => void> = [];
  /** Offset of the last acknowledged record per `topic:partition`. */
  private readonly acked = new Map<string, bigint>();

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
    return this.inflightRecords + this.buffer.length - this.head;
  }

  private sendBuffer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // the request in flight sends the buffer when it completes
    if (this.inflight !== undefined || this.buffer.length === this.head) return;
    const records = this.nextRequest();
    this.inflightRecords = records.length;
    this.inflight = this.options.client.send(records).then(
      (lastOffsets) => {
        for (const [id, offset] of lastOffsets)
          if (offset > (this.acked.get(id) ?? -1n)) this.acked.set(id, offset);
        this.completed();
      },
      (error: unknown) => {
        this.failure ??= error;
        this.completed();
      },
    );
  }

  /** Takes the oldest queued records that fit in one request (at least one record). */
  private nextRequest(): OutRecord[] {
    const { maxBatchRecords, maxRequestBytes } = this.options;
    const buffer = this.buffer;
    const limit = Math.min(buffer.length, this.head + maxBatchRecords);
    let end = this.head;
    let bytes = 0;
    while (end < limit) {
      const size = recordBytes(buffer[end]!);
      if (end > this.head && bytes + size > maxRequestBytes) break;
      bytes += size;
      end += 1;
    }
    if (this.head === 0 && end === buffer.length) {
      this.buffer = [];
      return buffer;
    }
    const request = buffer.slice(this.head, end);
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
    if (this.buffer.length > this.head) {
      this.sendBuffer();
      return;
    }
    const waiting = this.drained;
    this.drained = [];
    for (const resolve of waiting) resolve();
  }
}

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
