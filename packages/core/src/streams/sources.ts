import { describeError } from '../errors/errors.js';
import type { Channel } from './channel.js';
import type { StreamContext } from './context.js';
import { eventsOf, finish, type Item, type StreamEvent } from './event.js';

/** A per-item step: transforms `item.value` in place; false (or a promise of it) drops the item. */
export type Stage = (item: Item) => boolean | Promise<boolean>;

export type Op = { kind: 'stage'; stage: Stage } | { kind: 'take'; max: number; withinMs: number };

export interface ItemSource {
  next(): Promise<Item | undefined>;
  /** An item that is ready now, without waiting; undefined when there is none (or no fast path). */
  poll?(): Item | undefined;
}

function isPromise(value: unknown): value is Promise<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as Promise<unknown>).then === 'function'
  );
}

/**
 * Applies consecutive stages. A stage that throws dead-letters its item and the stream goes on:
 * a bad `map` or `filter` function costs one event, not the agent.
 */
class StagedSource implements ItemSource {
  constructor(
    private readonly inner: ItemSource,
    private readonly stages: Stage[],
    private readonly context: StreamContext,
  ) {}

  async next(): Promise<Item | undefined> {
    for (;;) {
      const item = await this.inner.next();
      if (item === undefined) return undefined;
      let keep = true;
      try {
        for (const stage of this.stages) {
          const result = stage(item);
          keep = isPromise(result) ? await result : result;
          if (!keep) break;
        }
      } catch (error) {
        for (const event of eventsOf(item)) {
          this.context.deadLetter(event, `stream operator failed: ${describeError(error)}`);
        }
        keep = false;
      }
      if (keep) return item;
      finish(item);
    }
  }
}

/** Gathers up to `max` items, waiting at most `withinMs` after the first one. */
class TakeSource implements ItemSource {
  private inFlight: Promise<Item | undefined> | undefined;
  private ended = false;

  constructor(
    private readonly inner: ItemSource,
    private readonly max: number,
    private readonly withinMs: number,
  ) {}

  async next(): Promise<Item | undefined> {
    if (this.ended) return undefined;
    const first = await this.pull();
    if (first === undefined) return undefined;
    const values = [first.value];
    const more: StreamEvent[] = first.more ? [...first.more] : [];
    const deadline = Date.now() + this.withinMs;
    while (values.length < this.max && !this.ended) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      const item = await this.pullWithin(remaining);
      if (item === undefined) break;
      values.push(item.value);
      more.push(item.event);
      if (item.more) more.push(...item.more);
    }
    return { event: first.event, value: values, more };
  }

  private async pull(): Promise<Item | undefined> {
    const pending = this.inFlight ?? this.inner.next();
    this.inFlight = undefined;
    const item = await pending;
    if (item === undefined) this.ended = true;
    return item;
  }

  /** Like pull, but gives up after `ms`; the pull left running is picked up next time. */
  private async pullWithin(ms: number): Promise<Item | undefined> {
    const pending = this.inFlight ?? this.inner.next();
    this.inFlight = pending;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ms);
    });
    const result = await Promise.race([pending, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') return undefined;
    this.inFlight = undefined;
    if (result === undefined) this.ended = true;
    return result;
  }
}

/** Builds the item source for a pipeline of operations over a channel. */
export function openSource(channel: Channel, ops: readonly Op[], context: StreamContext): ItemSource {
  let source: ItemSource = channel;
  let stages: Stage[] = [];
  for (const op of ops) {
    if (op.kind === 'stage') {
      stages.push(op.stage);
      continue;
    }
    if (stages.length > 0) source = new StagedSource(source, stages, context);
    stages = [];
    source = new TakeSource(source, op.max, op.withinMs);
  }
  if (stages.length > 0) source = new StagedSource(source, stages, context);
  return source;
}
