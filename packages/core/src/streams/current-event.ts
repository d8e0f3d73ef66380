import { AsyncLocalStorage } from 'node:async_hooks';
import { StromError } from '../errors/errors.js';
import type { StreamEvent } from './event.js';

/** The slot an actor updates on every pull; tables read it to find the event's partition. */
export interface EventSlot {
  current: StreamEvent | undefined;
  /** The partitions of a `take()` batch whose events come from more than one, else undefined. */
  mixedPartitions?: readonly number[];
}

const slots = new AsyncLocalStorage<EventSlot>();

export function runWithEventSlot<T>(slot: EventSlot, fn: () => T): T {
  return slots.run(slot, fn);
}

/** The event the calling agent is processing, if called from agent code. */
export function currentEvent(): StreamEvent | undefined {
  return slots.getStore()?.current;
}

/**
 * The current event, for a table that keeps state in its partition. A `take()` batch holding
 * events of several partitions has no one partition to write to: refused, with what to do.
 */
export function currentEventFor(table: { toString(): string }): StreamEvent | undefined {
  const slot = slots.getStore();
  if (slot?.mixedPartitions !== undefined) {
    throw new StromError(
      'CONFIG',
      `${String(table)}: used inside take() on a batch of partitions ${slot.mixedPartitions.join(', ')}; ` +
        'a table keeps each key in one partition, so use it per event (for await (const x of stream)), ' +
        'not per batch',
    );
  }
  return slot?.current;
}
