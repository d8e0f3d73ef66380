import type { RecordSender } from '../producer/buffered-producer.js';
import { currentEvent } from '../streams/current-event.js';
import type { InboundMessage, RecordOrigin } from '../transport/types.js';

/**
 * The one changelog codec, used to write a table's changes, to recover them and to read a table
 * from outside a worker (`strom table`). A key's identity in the store and the changelog is its
 * JSON text (the key `"alice"` is the 7 bytes `"alice"`); values are JSON; a delete is a
 * tombstone (null value). Windowed tables keep the JSON array `[key, startMs, endMs]` as the key.
 */
export const changelogCodec = {
  keyId(key: unknown): string {
    return JSON.stringify(key);
  },
  encodeValue(value: unknown): Buffer {
    return Buffer.from(JSON.stringify(value));
  },
  decodeValue(bytes: Buffer): unknown {
    return JSON.parse(bytes.toString('utf8'));
  },
  /** A changelog record as `[key id, value]`; the value is undefined for a tombstone. */
  decode(message: Pick<InboundMessage, 'key' | 'value'>): [string, unknown] {
    const id = message.key === null ? 'null' : message.key.toString('utf8');
    return [id, message.value === null ? undefined : changelogCodec.decodeValue(message.value)];
  },
};

/** A table partition's number when the table is global: one partition holding every changelog partition. */
export const ALL_PARTITIONS = -1;

/**
 * When a table partition writes its changelog: `every-update` produces a record per write (as
 * Faust does); `per-commit` keeps the latest value of each changed key and produces one record
 * per key when the worker commits (Kafka Streams' record cache): fewer records, and a changelog
 * that skips intermediate values.
 */
export type ChangelogMode = 'every-update' | 'per-commit';

/**
 * Writes the changes of one table partition to its changelog partition (for a global table: to
 * the key's partition), through the sender of whoever holds the partition (the worker's
 * producer, or the test harness). A write returns a promise only when the producer asks its
 * caller to wait (backpressure).
 */
export class ChangelogWriter {
  private readonly partition: number | undefined;
  /** per-commit: the latest value of each key changed since the last flush, and its event. */
  private readonly pending = new Map<string, { value: unknown; origin: RecordOrigin | undefined }>();

  constructor(
    private readonly sender: RecordSender,
    private readonly topic: string,
    partition: number,
    private readonly mode: ChangelogMode = 'every-update',
  ) {
    this.partition = partition === ALL_PARTITIONS ? undefined : partition;
  }

  /** Records `value` for `id`; undefined writes a tombstone. */
  write(id: string, value: unknown): void | Promise<void> {
    // a record the broker refuses goes to the dead-letter topic of the event that wrote it
    const origin = currentEvent();
    if (this.mode === 'per-commit') {
      // latest last: a key written again moves to the end, as its record would
      this.pending.delete(id);
      this.pending.set(id, { value, origin });
      return;
    }
    return this.send(id, value, origin);
  }

  /** per-commit: produces the pending changes, one record per key (the commit routine calls it). */
  flush(): void | Promise<void> {
    if (this.pending.size === 0) return;
    const waits: Promise<void>[] = [];
    for (const [id, { value, origin }] of this.pending) {
      const full = this.send(id, value, origin);
      if (full !== undefined) waits.push(full);
    }
    this.pending.clear();
    if (waits.length > 0) return Promise.all(waits).then(() => undefined);
  }

  /** Changes not produced yet (per-commit). */
  get pendingCount(): number {
    return this.pending.size;
  }

  private send(id: string, value: unknown, origin: RecordOrigin | undefined): void | Promise<void> {
    return this.sender.send({
      topic: this.topic,
      partition: this.partition,
      key: Buffer.from(id),
      value: value === undefined ? null : changelogCodec.encodeValue(value),
      origin,
    });
  }
}
