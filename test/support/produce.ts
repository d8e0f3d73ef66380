import { kafka, topicEnd, uniqueGroup } from './kafka.js';

export interface JsonRecord {
  key?: unknown;
  value: unknown;
  partition?: number;
}

/** Produces JSON-encoded records (or raw strings via `raw`) in batches of 1000 and waits for the acks. */
export async function produceJson(
  topic: string,
  records: Array<JsonRecord | { raw: string }>,
): Promise<void> {
  // idempotent: a request that fails for one partition is retried whole, and without sequence
  // numbers the broker would append the other partitions' records a second time (seen on a fresh
  // broker: the test then counted 15 events where it produced 10)
  const producer = kafka().producer({ idempotent: true });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += 1000) {
      const messages = records.slice(i, i + 1000).map((r) =>
        'raw' in r
          ? { value: r.raw }
          : {
              key: r.key === undefined ? null : JSON.stringify(r.key),
              value: JSON.stringify(r.value),
              partition: r.partition,
            },
      );
      await producer.send({ topic, messages, acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
}

/** A record as produceRecords takes it: text key and value, optional partition and timestamp (ms). */
export interface TextRecord {
  key?: string | null;
  value: string | null;
  partition?: number;
  timestamp?: number;
}

/** Produces records as given (one request, idempotent: see produceJson) and waits for the acks. */
export async function produceRecords(topic: string, records: readonly TextRecord[]): Promise<void> {
  const producer = kafka().producer({ idempotent: true });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: records.map((r) => ({
        key: r.key ?? null,
        value: r.value,
        partition: r.partition,
        timestamp: r.timestamp === undefined ? undefined : String(r.timestamp),
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

/** Polls `check` every 100 ms until it returns true or `timeoutMs` passes; returns the last result. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** True once the end of `topic` (the sum of its high watermarks) is the same in two polls in a row. */
export function topicStopsGrowing(topic: string, timeoutMs = 30_000): Promise<boolean> {
  let last = -1;
  return eventually(async () => {
    const now = await topicEnd(topic);
    const stable = now === last;
    last = now;
    return stable;
  }, timeoutMs);
}

/**
 * Reads `topic` from the beginning until `done(all values so far)` is true or `timeoutMs`
 * passes; returns the JSON values read (duplicates included: at-least-once output has them).
 */
export async function consumeUntil<T>(
  topic: string,
  done: (values: T[]) => boolean,
  timeoutMs = 60_000,
): Promise<T[]> {
  const consumer = kafka().consumer({ groupId: uniqueGroup('consume-until'), maxWaitTimeInMs: 200 });
  const values: T[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const timer = setTimeout(finish, timeoutMs);
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) if (m.value) values.push(JSON.parse(m.value.toString()) as T);
        if (done(values)) finish();
      },
    });
    await finished;
    clearTimeout(timer);
    return values;
  } finally {
    await consumer.disconnect();
  }
}
