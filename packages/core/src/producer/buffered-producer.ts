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
  /** Records per produce request. */
  maxBatchRecords: number;
  /** Queued + unacknowledged records above which `send` asks the caller to wait. */
  maxInflightRecords: number;
}

/**
 * Batches records into few produce requests, so agents never await the broker per message
 * (DESIGN: no per-message await on I/O). One request is in flight at a time: requests sent
 * side by side can reach a partition out of order (a changelog would then end on an old
 * value), so records queue while one is on its way and leave together in the next.
 * The worker calls `flush()` before it commits offsets.
 */
export class BufferedProducer implements RecordSender {
  private buffer: OutRecord[] = [];
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
    if (this.buffer.length >= this.options.maxBatchRecords) this.sendBuffer();
    else if (this.timer === undefined && this.inflight === undefined) {
      this.timer = setTimeout(() => this.sendBuffer(), this.options.lingerMs);
    }
    if (this.inflightRecords + this.buffer.length > this.options.maxInflightRecords) return this.drain();
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
    return this.inflightRecords + this.buffer.length;
  }

  private sendBuffer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // the request in flight sends the buffer when it completes
    if (this.inflight !== undefined || this.buffer.length === 0) return;
    const records = this.buffer;
    this.buffer = [];
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

  private completed(): void {
    this.inflight = undefined;
    this.inflightRecords = 0;
    if (this.buffer.length > 0) {
      this.sendBuffer();
      return;
    }
    const waiting = this.drained;
    this.drained = [];
    for (const resolve of waiting) resolve();
  }
}
