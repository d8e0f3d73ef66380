import type { InboundMessage } from '../transport/types.js';

/** What `stream.events()` yields: the value with its key and Kafka coordinates. */
export interface EventInfo<V, K = unknown> {
  readonly key: K;
  readonly value: V;
  readonly headers: Readonly<Record<string, Buffer | string | undefined>>;
  /** Record timestamp, ms since the epoch. */
  readonly timestamp: number;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * Counts the unfinished events of one delivered batch. The worker commits a batch's offsets
 * only after `settled` resolves (and the producer flushed what those events sent).
 */
export class Completion {
  private remaining: number;
  private resolve!: () => void;
  readonly settled: Promise<void>;

  constructor(count: number) {
    this.remaining = count;
    this.settled = new Promise((resolve) => {
      this.resolve = resolve;
    });
    if (count === 0) this.resolve();
  }

  /** One more piece of work to wait for (see {@link StreamEvent.holdUntil}). */
  addOne(): void {
    this.remaining += 1;
  }

  finishOne(): void {
    this.remaining -= 1;
    if (this.remaining === 0) this.resolve();
  }
}

/**
 * One record on its way through a stream. It stays unfinished until the code consuming it
 * asks for the next one (or drops it, forwards it, or dead-letters it).
 */
export class StreamEvent<V = unknown, K = unknown> implements EventInfo<V, K> {
  readonly headers: Readonly<Record<string, Buffer | string | undefined>>;
  readonly timestamp: number;
  readonly offset: string;
  private completion: Completion | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly message: InboundMessage,
    readonly key: K,
    readonly value: V,
    completion: Completion | undefined,
  ) {
    this.headers = message.headers;
    this.timestamp = Number(message.timestamp);
    this.offset = message.offset;
    this.completion = completion;
  }

  /** Marks the event finished; idempotent. */
  done(): void {
    const completion = this.completion;
    if (completion !== undefined) {
      this.completion = undefined;
      completion.finishOne();
    }
  }

  /**
   * Keeps the batch of this unfinished event from committing until `work` settles: the writes a
   * join makes for this event's table write, when they had to wait for a store read.
   */
  holdUntil(work: Promise<unknown>): void {
    const completion = this.completion;
    if (completion === undefined) return;
    completion.addOne();
    const release = () => completion.finishOne();
    work.then(release, release);
  }

  get finished(): boolean {
    return this.completion === undefined;
  }
}

/** A value on its way through a stream, with the event(s) it came from. */
export interface Item {
  event: StreamEvent;
  value: unknown;
  /** More events carried by the same item (a `take` batch). */
  more?: StreamEvent[];
}

export function eventsOf(item: Item): StreamEvent[] {
  return item.more === undefined ? [item.event] : [item.event, ...item.more];
}

export function finish(item: Item): void {
  item.event.done();
  if (item.more !== undefined) for (const e of item.more) e.done();
}
