import { AsyncLocalStorage } from 'node:async_hooks';
import type { StreamEvent } from './event.js';

/** The slot an actor updates on every pull; tables read it to find the event's partition. */
export interface EventSlot {
  current: StreamEvent | undefined;
}

const slots = new AsyncLocalStorage<EventSlot>();

export function runWithEventSlot<T>(slot: EventSlot, fn: () => T): T {
  return slots.run(slot, fn);
}

/** The event the calling agent is processing, if called from agent code. */
export function currentEvent(): StreamEvent | undefined {
  return slots.getStore()?.current;
}
