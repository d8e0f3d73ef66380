import { ConfigError } from '../errors/errors.js';
import { finish, type Item } from './event.js';

/**
 * A queue of items with one consumer at a time. The worker pushes whole batches; a stream
 * iterator shifts them off. `closed` ends the iteration once the queue is empty.
 */
export class Channel {
  private queue: Item[] = [];
  private head = 0;
  private waiter: (() => void) | undefined;
  private consumerActive = false;
  closed = false;

  constructor(readonly name: string) {}

  /** Queues items; a closed channel leaves them unfinished, so their offsets are never committed. */
  push(items: readonly Item[]): void {
    if (this.closed) return;
    for (const item of items) this.queue.push(item);
    this.wake();
  }

  shift(): Item | undefined {
    if (this.head >= this.queue.length) return undefined;
    const event = this.queue[this.head];
    this.queue[this.head] = undefined as unknown as Item;
    this.head += 1;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return event;
  }

  get size(): number {
    return this.queue.length - this.head;
  }

  /** Resolves when an event arrives or the channel closes. */
  wait(): Promise<void> {
    if (this.size > 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.waiter;
      this.waiter = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** The next queued item, if one is queued (an ItemSource's fast path). */
  poll(): Item | undefined {
    return this.shift();
  }

  /** Waits for the next event; undefined once closed and empty. */
  async next(): Promise<Item | undefined> {
    for (;;) {
      const item = this.shift();
      if (item !== undefined) return item;
      if (this.closed) return undefined;
      await this.wait();
    }
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  /**
   * Closes the channel and drops what is queued without finishing it: a stopping worker runs no
   * agent code on events it has not started, and their offsets stay uncommitted (redone later).
   */
  abandon(): void {
    this.queue = [];
    this.head = 0;
    this.close();
  }

  /** Finishes every queued event without processing it (used when a partition is dropped). */
  discard(): void {
    for (let item = this.shift(); item !== undefined; item = this.shift()) finish(item);
  }

  claimConsumer(description: string): void {
    if (this.consumerActive) {
      throw new ConfigError(
        `${description}: another iteration is already reading this stream; a stream has one reader at a time (use branch() to split it)`,
      );
    }
    this.consumerActive = true;
  }

  get hasConsumer(): boolean {
    return this.consumerActive;
  }

  releaseConsumer(): void {
    this.consumerActive = false;
  }

  private wake(): void {
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter();
    }
  }
}
