/**
 * The runtime of a stream-stream join: one loop per side reads its records, joins each with the
 * buffer of its partition (a {@link JoinBuffer} over the join's table partition, so every change
 * reaches the changelog), and queues the results to the joined stream's channel.
 *
 * An input record is finished (its offset may be committed) once every result it caused is
 * finished by the agent. A record that closes unmatched records emits their left/outer results,
 * and their buffer entries are deleted only after those results were processed: a crash in
 * between replays the closing record and finds them still there (at-least-once, never lost).
 */
import { describeError, StromError } from '../errors/errors.js';
import { Channel } from '../streams/channel.js';
import type { StreamContext } from '../streams/context.js';
import { currentEvent } from '../streams/current-event.js';
import { Completion, eventsOf, finish, type Item, StreamEvent } from '../streams/event.js';
import type { ItemSource } from '../streams/sources.js';
import { changelogCodec } from '../tables/changelog.js';
import type { TablePartition } from '../tables/table-partition.js';
import { eventTime } from '../windows/event-time.js';
import { type BufferWrite, JoinBuffer, type JoinSide } from './join-buffer.js';
import type { JoinWindows } from './join-windows.js';
import type { JoinKind } from './types.js';

export interface StreamJoinOptions {
  context: StreamContext;
  windows: JoinWindows<unknown, unknown>;
  kind: JoinKind;
  left: ItemSource;
  right: ItemSource;
  joiner: (left: unknown, right: unknown) => unknown;
}

/** A result on its way out, and the input event it is charged to. */
interface Pending {
  event: StreamEvent;
  value: unknown;
}

/** Starts both sides' loops; returns the channel of joined results. */
export function startStreamJoin(options: StreamJoinOptions): Channel {
  const { context, windows, kind, joiner } = options;
  const table = windows.table;
  const output = new Channel(`${context.description} ${windows}`);
  // a promise per partition: both sides' loops may ask for a partition's buffer at once
  const buffers = new WeakMap<TablePartition<unknown>, Promise<JoinBuffer>>();
  let open = 2;

  const load = async (partition: TablePartition<unknown>): Promise<JoinBuffer> => {
    const buffer = new JoinBuffer(windows.spec, kind);
    const entries: Array<[string, unknown]> = [];
    for await (const entry of partition.entries()) entries.push(entry);
    buffer.load(entries);
    return buffer;
  };
  const bufferOf = (partition: TablePartition<unknown>): Promise<JoinBuffer> => {
    let buffer = buffers.get(partition);
    if (!buffer) buffers.set(partition, (buffer = load(partition)));
    return buffer;
  };

  /** Applies writes as changes made by `event` (its partition, its transaction). */
  const write = (partition: TablePartition<unknown>, event: StreamEvent, writes: readonly BufferWrite[]) => {
    // the slot is shared with the agent's loop: set it for these synchronous writes only
    const previous = currentEvent();
    context.setCurrent(event);
    const waits: Promise<void>[] = [];
    try {
      for (const [id, stored] of writes) {
        const full = partition.write(id, stored);
        if (full) waits.push(full);
      }
    } finally {
      context.setCurrent(previous);
    }
    return waits.length > 0 ? Promise.all(waits) : undefined;
  };

  const handle = async (side: JoinSide, item: Item): Promise<void> => {
    const event = item.event;
    const partition = table.partitionAt(event.partition);
    if (partition === undefined) {
      throw new StromError('TOPIC', `${windows}: no partition ${event.partition} of its buffer here`, {
        topic: event.topic,
        partition: event.partition,
        offset: event.offset,
      });
    }
    const buffer = await bufferOf(partition);
    const timeMs = eventTime(
      { timestamp: side === 'left' ? windows.timestamp.left : windows.timestamp.right },
      { value: item.value, timestamp: event.timestamp },
    );
    const step = buffer.process(side, changelogCodec.keyId(event.key), timeMs, event.offset, item.value);
    if (step.late) {
      // too late for its window: not an error (no dead letter), counted as Kafka Streams does
      windows.lateRecords += 1;
      finish(item);
      return;
    }
    const full = write(partition, event, step.writes);
    if (full) await full;
    const pending: Pending[] = [];
    for (const m of step.matches) pending.push({ event, value: await joiner(m.left, m.right) });
    for (const u of step.unmatched) {
      const value = u.side === 'left' ? await joiner(u.value, undefined) : await joiner(undefined, u.value);
      pending.push({ event, value });
    }
    if (pending.length === 0) {
      finish(item);
      return;
    }
    const completion = new Completion(pending.length);
    void completion.settled.then(async () => {
      // the unmatched records' results were processed: now their buffer entries may go
      const deletes: BufferWrite[] = step.unmatched.map((u) => [u.id, undefined]);
      try {
        const wait = write(partition, event, deletes);
        if (wait) await wait;
      } catch (error) {
        context.deadLetter(event, `${windows}: deleting closed records failed: ${describeError(error)}`);
      }
      finish(item);
    });
    output.push(
      pending.map((p) => ({
        event: new StreamEvent(
          p.event.topic,
          p.event.partition,
          p.event.message,
          p.event.key,
          p.value,
          completion,
        ),
        value: p.value,
      })),
    );
  };

  const loop = (side: JoinSide, source: ItemSource) => async () => {
    for (let item = await source.next(); item !== undefined; item = await source.next()) {
      try {
        await handle(side, item);
      } catch (error) {
        for (const event of eventsOf(item))
          context.deadLetter(event, `${windows} failed: ${describeError(error)}`);
        finish(item);
      }
    }
    open -= 1;
    if (open === 0) output.close();
  };
  context.spawn(`${windows}:left`, loop('left', options.left));
  context.spawn(`${windows}:right`, loop('right', options.right));
  return output;
}
