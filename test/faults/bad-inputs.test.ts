/**
 * Fault scenario: 10,000 bad inputs of 14 kinds mixed with 10,000 good ones on a 4-partition
 * topic, through a real worker process that validates, re-keys (repartition), counts (table,
 * changelog) and yields to a sink whose max.message.bytes is small. The worker must never stop,
 * count every good record exactly once, and put every bad record in a dead-letter topic exactly
 * once with its reason and source coordinates — records the broker refuses included (1.5 MB
 * inputs, a repartition copy too large, a sink record too large).
 */
import { randomBytes } from 'node:crypto';
import { App, DEAD_LETTER_HEADERS as H } from '@strom/core';
import type { IHeaders } from 'kafkajs';
import { afterEach, expect, it } from 'vitest';
import {
  brokers,
  type CollectedMessage,
  collect,
  createTopic,
  kafka,
  testLogLevel,
  uniqueName,
} from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { eventually } from '../support/produce.js';
import { reportFigures } from './support/figures.js';

const running: WorkerProcess[] = [];
afterEach(() => killAll(running.splice(0)));

const PARTITIONS = 4;
const GOOD = 10_000;
const BAD = 10_000;
const BIG_BYTES = 1_500_000;
const SINK_MAX_MESSAGE_BYTES = 20_000;

/** Where a bad input's dead letter must be: its own topic's, or the repartition topic's. */
type DeadLetterAt = 'input' | 'repartition';

interface Input {
  id: number;
  kind: string;
  key: Buffer | null;
  value: Buffer | null;
  /** The table key it must be counted under; undefined: it must not be counted. */
  counted?: string;
  deadLetter?: DeadLetterAt;
  partition: number;
  offset?: string;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const keyOf = (id: number) => json(`in-${id % 7}`);
const big = (fill: string) => Buffer.alloc(BIG_BYTES, fill);
/** Valid unicode is good input: emoji, right-to-left text and marks, a lone surrogate (as JSON escapes it). */
const UNICODE_KEYS = [
  '🚀 rocket 👩‍👩‍👧',
  'مرحبا بالعالم',
  '\u202Eevil\u202C',
  'lone \ud800 surrogate',
  'שלום',
];

/** Each bad kind: how to make it, and where its dead letter goes (the input's topic unless said). */
const BAD_KINDS: Array<{ kind: string; make: (id: number) => Pick<Input, 'key' | 'value'>; bigOnly?: true }> =
  [
    { kind: 'not JSON', make: (id) => ({ key: keyOf(id), value: Buffer.from(`not json ${id} {`) }) },
    {
      kind: 'truncated JSON',
      make: (id) => ({ key: keyOf(id), value: Buffer.from(`{"id": ${id}, "key": "k`) }),
    },
    { kind: 'empty value', make: (id) => ({ key: keyOf(id), value: Buffer.alloc(0) }) },
    { kind: 'binary garbage', make: (id) => ({ key: keyOf(id), value: randomBytes(64) }) },
    { kind: 'wrong shape', make: (id) => ({ key: keyOf(id), value: json({ foo: 'bar', n: id }) }) },
    { kind: 'wrong types', make: (id) => ({ key: keyOf(id), value: json({ id: String(id), key: 5 }) }) },
    { kind: 'null key', make: (id) => ({ key: null, value: json({ id, key: 'k1' }) }) },
    { kind: 'null value', make: (id) => ({ key: keyOf(id), value: null }) },
    {
      kind: 'key not JSON',
      make: (id) => ({ key: Buffer.from(`key ${id}`), value: json({ id, key: 'k1' }) }),
    },
    {
      kind: 'number 1e400',
      make: (id) => ({ key: keyOf(id), value: Buffer.from(`{"id": 1e400, "key": "k${id}"}`) }),
    },
    {
      kind: 'number 2^64',
      make: (id) => ({ key: keyOf(id), value: Buffer.from(`{"id": 18446744073709551616, "key": "k${id}"}`) }),
    },
    { kind: '1.5 MB not JSON', make: (id) => ({ key: keyOf(id), value: big('x') }), bigOnly: true },
    {
      kind: '1.5 MB wrong shape',
      make: (id) => ({ key: keyOf(id), value: json({ foo: big('y').toString() }) }),
      bigOnly: true,
    },
  ];
const BIG_EACH = 3;

type Make = (id: number) => Omit<Input, 'id' | 'partition'>;

/** The inputs, bad and good in turn, with the 1.5 MB ones spread over the run and the partitions. */
function makeInputs(): Input[] {
  const bigMakers: Make[] = [];
  for (const kind of BAD_KINDS.filter((k) => k.bigOnly)) {
    for (let i = 0; i < BIG_EACH; i++)
      bigMakers.push((id) => ({ kind: kind.kind, ...kind.make(id), deadLetter: 'input' }));
  }
  for (let i = 0; i < BIG_EACH; i++) {
    // valid, but its repartition copy is larger than the repartition topic takes
    bigMakers.push((id) => ({
      kind: '1.5 MB valid JSON',
      key: keyOf(id),
      value: json({ id, key: 'big', note: big('z').toString() }),
      deadLetter: 'input',
    }));
  }
  const smallKinds = BAD_KINDS.filter((k) => !k.bigOnly);
  const badMakers: Make[] = [];
  for (let b = 0; b < BAD; b++) {
    const kind = smallKinds[b % smallKinds.length]!;
    badMakers.push(
      b % 801 === 400 && bigMakers.length > 0
        ? bigMakers.shift()!
        : (id) => ({ kind: kind.kind, ...kind.make(id), deadLetter: 'input' }),
    );
  }
  const goodMakers: Make[] = [];
  for (let g = 0; g < GOOD; g++) {
    const unicodeKey = UNICODE_KEYS[g % UNICODE_KEYS.length]!;
    goodMakers.push((id) => {
      // valid and counted, but its sink record is larger than the sink takes
      if (g % 500 === 250) {
        const value = { id, key: `k${id % 50}`, note: 'n'.repeat(50_000) };
        return {
          kind: 'sink record too large',
          key: keyOf(id),
          value: json(value),
          counted: value.key,
          deadLetter: 'repartition',
        };
      }
      if (g % 10 === 3)
        return {
          kind: 'unicode',
          key: keyOf(id),
          value: json({ id, key: unicodeKey, note: '✓ ok 🎉' }),
          counted: unicodeKey,
        };
      return {
        kind: 'good',
        key: keyOf(id),
        value: json({ id, key: `k${id % 50}` }),
        counted: `k${id % 50}`,
      };
    });
  }
  expect(bigMakers).toEqual([]); // every 1.5 MB input found a place
  const inputs: Input[] = [];
  const add = (make: Make) => {
    const id = inputs.length;
    inputs.push({ id, partition: Math.floor(id / 2) % PARTITIONS, ...make(id) });
  };
  for (let i = 0; i < Math.max(GOOD, BAD); i++) {
    if (i < BAD) add(badMakers[i]!);
    if (i < GOOD) add(goodMakers[i]!);
  }
  return inputs;
}

/** Produces the inputs (idempotently, so none twice) and notes each one's offset. */
async function produce(topic: string, inputs: Input[]): Promise<void> {
  const producer = kafka().producer({ idempotent: true });
  await producer.connect();
  try {
    for (let i = 0; i < inputs.length; i += 500) {
      const chunk = inputs.slice(i, i + 500);
      const acks = await producer.send({
        topic,
        acks: -1,
        messages: chunk.map((r) => ({
          key: r.key,
          value: r.value,
          partition: r.partition,
          headers: { 'test.id': String(r.id) },
        })),
      });
      // a request's records of one partition are written in order from that partition's base offset
      for (let p = 0; p < PARTITIONS; p++) {
        const base = BigInt(acks.find((a) => a.partition === p)?.baseOffset ?? '-1');
        let next = base;
        for (const r of chunk) {
          if (r.partition !== p) continue;
          r.offset = String(next);
          next += 1n;
        }
      }
    }
  } finally {
    await producer.disconnect();
  }
}

async function highWatermarks(topics: string[]): Promise<Map<string, number>> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const result = new Map<string, number>();
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      result.set(
        topic,
        offsets.reduce((n, o) => n + Number(o.high), 0),
      );
    }
    return result;
  } finally {
    await admin.disconnect();
  }
}

/** True when the group committed every partition of `topics` up to its end. */
async function caughtUp(groupId: string, topics: string[]): Promise<boolean> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      for (const end of ends) {
        const at = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
        if (Number(at) < Number(end.high)) return false;
      }
    }
    return true;
  } catch {
    return false; // topics being created
  } finally {
    await admin.disconnect();
  }
}

const header = (headers: IHeaders, name: string) => {
  const value = headers[name];
  return value === undefined ? undefined : String(value);
};

it('10,000 bad inputs of 14 kinds: the worker keeps running, counts the good exactly, dead-letters each bad one once', {
  timeout: 240_000,
}, async () => {
  const inputs = makeInputs();
  const bad = inputs.filter((r) => r.deadLetter !== undefined && r.counted === undefined);
  const sinkRefused = inputs.filter((r) => r.deadLetter === 'repartition');
  expect(inputs.filter((r) => r.counted === undefined)).toHaveLength(BAD);
  expect(new Set(bad.map((r) => r.kind)).size).toBe(BAD_KINDS.length + 1); // + 1.5 MB valid JSON

  const id = uniqueName('bad-inputs');
  const input = await createTopic(uniqueName('bad-in'), {
    partitions: PARTITIONS,
    configEntries: { 'max.message.bytes': '4000000' },
  });
  const sink = await createTopic(uniqueName('bad-sink'), {
    partitions: 2,
    configEntries: { 'max.message.bytes': String(SINK_MAX_MESSAGE_BYTES) },
  });
  const repartition = `${id}-by-key-repartition`;
  const changelog = `${id}-counts-changelog`;
  const inputDeadLetters = `${id}-${input}-dlq`;
  const repartitionDeadLetters = `${repartition}-dlq`;
  await produce(input, inputs);
  expect(inputs.every((r) => r.offset !== undefined && !r.offset.startsWith('-'))).toBe(true);

  const env = { TEST_APP_ID: id, TEST_INPUT: input, TEST_SINK: sink };
  const worker = spawnApp('test/fixtures/bad-inputs-app.ts', ['worker'], env);
  running.push(worker);
  // the start check names the sink, whose limit is below what the producer may send
  const limitsLine = await worker.waitFor(/max\.message\.bytes below producerMaxRequestBytes/);
  expect(JSON.parse(limitsLine).topics).toEqual({ [sink]: SINK_MAX_MESSAGE_BYTES });
  await worker.waitFor(/worker running/);
  expect(await eventually(() => caughtUp(id, [input, repartition]), 150_000)).toBe(true);
  expect(worker.child.exitCode).toBeNull(); // it never stopped on its own
  worker.child.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
  const failures = worker.lines.filter((l) =>
    /worker failed|dead letter cannot be written|not written anywhere/.test(l),
  );
  expect(failures).toEqual([]);

  // every bad input is in a dead-letter topic exactly once, with the reason and where it came from
  const ends = await highWatermarks([inputDeadLetters, repartitionDeadLetters, sink, changelog, repartition]);
  const deadLetterCount = ends.get(inputDeadLetters)! + ends.get(repartitionDeadLetters)!;
  expect(ends.get(inputDeadLetters)).toBe(bad.length);
  expect(ends.get(repartitionDeadLetters)).toBe(sinkRefused.length);
  const fromInput = await collect(inputDeadLetters, bad.length, { timeoutMs: 60_000 });
  const fromRepartition = await collect(repartitionDeadLetters, sinkRefused.length, { timeoutMs: 30_000 });
  const repartitioned = await collect(repartition, ends.get(repartition)!, { timeoutMs: 60_000 });
  const repartitionedAt = new Map(repartitioned.map((m) => [`${m.partition}@${m.offset}`, m]));

  const seen = new Map<number, number>();
  const problems: string[] = [];
  const check = (m: CollectedMessage, expectedId: number | undefined, where: DeadLetterAt) => {
    const r = expectedId === undefined ? undefined : inputs[expectedId];
    if (r === undefined || r.deadLetter !== where) {
      problems.push(`${where} dead letter ${m.offset} is no bad input (${expectedId})`);
      return;
    }
    seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
    const reason = header(m.headers, H.reason) ?? '';
    const source = [header(m.headers, H.topic), header(m.headers, H.partition), header(m.headers, H.offset)];
    if (reason.length === 0) problems.push(`${r.kind} ${r.id}: no reason`);
    if (where === 'input' && source.join() !== [input, r.partition, r.offset].join())
      problems.push(`${r.kind} ${r.id}: source ${source.join()} is not ${input},${r.partition},${r.offset}`);
    if (where === 'repartition') {
      const copy = repartitionedAt.get(`${source[1]}@${source[2]}`);
      if (source[0] !== repartition || copy === undefined || header(copy.headers, 'test.id') !== String(r.id))
        problems.push(`${r.kind} ${r.id}: source ${source.join()} is not its repartition record`);
      if (header(m.headers, H.target) !== sink) problems.push(`${r.kind} ${r.id}: target is not the sink`);
    }
    const bigInput = (r.value?.length ?? 0) >= BIG_BYTES;
    if (bigInput) {
      if (header(m.headers, H.truncated) !== 'value')
        problems.push(`${r.kind} ${r.id}: not marked truncated`);
      if (header(m.headers, H.valueBytes) === undefined) problems.push(`${r.kind} ${r.id}: no original size`);
      if (!r.value!.subarray(0, 1000).equals(Buffer.from(m.value!.slice(0, 1000), 'utf8')))
        problems.push(`${r.kind} ${r.id}: the value kept is not the original's prefix`);
    }
    if (r.kind === '1.5 MB valid JSON' && header(m.headers, H.target) !== repartition)
      problems.push(`${r.kind} ${r.id}: target is not the repartition topic`);
  };
  for (const m of fromInput) check(m, Number(header(m.headers, 'test.id')), 'input');
  for (const m of fromRepartition) check(m, (JSON.parse(m.value!) as { id: number }).id, 'repartition');
  expect(problems.slice(0, 10)).toEqual([]);
  const missing = [...bad, ...sinkRefused].filter((r) => !seen.has(r.id));
  const twice = [...seen.values()].filter((n) => n > 1).length;
  expect(missing.map((r) => `${r.kind} ${r.id}`).slice(0, 10)).toEqual([]);
  expect(twice).toBe(0);
  expect(deadLetterCount).toBe(BAD + sinkRefused.length);
  const truncated = fromInput.filter((m) => header(m.headers, H.truncated) !== undefined).length;
  expect(truncated).toBe(BAD_KINDS.filter((k) => k.bigOnly).length * BIG_EACH + BIG_EACH);

  // the table equals the truth: every good input counted once
  const truth = new Map<string, number>();
  for (const r of inputs) if (r.counted !== undefined) truth.set(r.counted, (truth.get(r.counted) ?? 0) + 1);
  const reader = new App({ id, broker: brokers(), logLevel: testLogLevel() });
  reader.table<string, number>('counts');
  const counts = await reader.readTable('counts');
  let lost = 0;
  let duplicated = 0;
  for (const [key, n] of truth) {
    const got = (counts.get(key) as number | undefined) ?? 0;
    if (got < n) lost += n - got;
    if (got > n) duplicated += got - n;
  }
  expect([...counts.keys()].sort()).toEqual([...truth.keys()].sort());
  expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(truth));
  // and every counted record reached the sink, except those too large for it
  expect(ends.get(sink)).toBe(GOOD - sinkRefused.length);

  // a restart processes nothing twice: only a new record moves anything
  const again = spawnApp('test/fixtures/bad-inputs-app.ts', ['worker'], env);
  running.push(again);
  await again.waitFor(/worker running/);
  const marker = kafka().producer({ idempotent: true });
  await marker.connect();
  await marker.send({
    topic: input,
    acks: -1,
    messages: [{ key: json('marker'), value: json({ id: -1, key: 'marker' }), headers: { 'test.id': '-1' } }],
  });
  await marker.disconnect();
  expect(
    await eventually(async () => (await highWatermarks([sink])).get(sink) === ends.get(sink)! + 1, 60_000),
  ).toBe(true);
  expect(await eventually(() => caughtUp(id, [input, repartition]), 60_000)).toBe(true);
  again.child.kill('SIGTERM');
  expect(await again.exited).toBe(0);
  const after = await highWatermarks([inputDeadLetters, repartitionDeadLetters, sink, changelog]);
  ends.delete(repartition);
  expect(Object.fromEntries(after)).toEqual({
    [inputDeadLetters]: ends.get(inputDeadLetters),
    [repartitionDeadLetters]: ends.get(repartitionDeadLetters),
    [sink]: ends.get(sink)! + 1,
    [changelog]: ends.get(changelog)! + 1,
  });

  reportFigures({
    scenario: 'bad inputs x10,000 (14 kinds, 1.5 MB ones included)',
    events: inputs.length,
    faults: BAD,
    lost: lost + missing.length,
    duplicated: duplicated + twice,
    notes: `dead letters ${deadLetterCount} (${sinkRefused.length} of counted records too large for the sink), truncated ${truncated}, worker exits 0/0`,
  });
});
