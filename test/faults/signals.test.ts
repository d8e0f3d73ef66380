/**
 * SIGTERM at every phase of a worker's life: while it starts, while it joins the group, while it
 * recovers a table, while it processes (and commits), and twice in a row. Every stop must exit 0
 * within a bound, never rejoin the group or start a recovery after "worker stopping", and print
 * no raw stack trace; a last worker then counts the rest, and the table must equal the truth
 * exactly (clean stops commit what finished and redo nothing).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '@strom/core';
import { afterEach, expect, it } from 'vitest';
import { brokers, createTopic, kafka, testLogLevel, topicEnd, uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { eventually, produceJson } from '../support/produce.js';
import { reportFigures } from './support/figures.js';

const PARTITIONS = 4;
const KEYS = 50;
const EVENTS = 40_000;
/** Changelog records written before the first worker starts, so that recovery takes a while. */
const PREFILLED = 300_000;
/** A stop must end within this (the shutdown grace is 4 s; leaving the group and closing add little). */
const STOP_BOUND_MS = 20_000;
/** Lines a worker must never print once it began to stop. */
const AFTER_STOP_FORBIDDEN =
  /partitions assigned|worker running|joining the consumer group|recovering table partition|table partition recovered/;
/** A raw Node crash or stack trace instead of a structured log line. */
const RAW_CRASH = /^\s+at .+\(|UnhandledPromiseRejection|^node:internal|^\w*Error: /;

const running: WorkerProcess[] = [];
afterEach(() => killAll(running.splice(0)));

async function prefillChangelog(topic: string, records: number): Promise<void> {
  const producer = kafka().producer({ idempotent: true });
  await producer.connect();
  try {
    for (let i = 0; i < records; i += 10_000) {
      const messages = Array.from({ length: Math.min(10_000, records - i) }, (_, j) => ({
        key: JSON.stringify(`pre${(i + j) % 2000}`),
        value: String(i + j),
        partition: (i + j) % PARTITIONS,
      }));
      await producer.send({ topic, messages, acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
}

interface StopResult {
  phase: string;
  exit: number | string;
  stopMs: number;
}

/** Sends SIGTERM (once, or twice `secondAfterMs` apart) and checks how the worker stopped. */
async function stopAndCheck(
  worker: WorkerProcess,
  phase: string,
  secondAfterMs?: number,
): Promise<StopResult> {
  const sentAt = Date.now();
  worker.child.kill('SIGTERM');
  if (secondAfterMs !== undefined) setTimeout(() => worker.child.kill('SIGTERM'), secondAfterMs);
  const exit = await Promise.race([
    worker.exited,
    new Promise<string>((resolve) => setTimeout(() => resolve('hung'), STOP_BOUND_MS)),
  ]);
  const stopMs = Date.now() - sentAt;
  const stopping = worker.lines.findIndex((l) => l.includes('"worker stopping"'));
  const afterStop = stopping < 0 ? [] : worker.lines.slice(stopping);
  const context = `phase ${phase}; last lines:\n${worker.lines.slice(-15).join('\n')}`;
  expect(exit, context).toBe(0);
  expect(
    afterStop.filter((l) => AFTER_STOP_FORBIDDEN.test(l)),
    context,
  ).toEqual([]);
  expect(
    worker.lines.filter((l) => RAW_CRASH.test(l)),
    context,
  ).toEqual([]);
  return { phase, exit, stopMs };
}

it.each(['memory', 'rocksdb'])(
  'SIGTERM while starting, joining, recovering, processing and twice in a row (%s store): exit 0, no rejoin, exact counts',
  {
    timeout: 420_000,
  },
  async (store) => {
    const id = uniqueName('signals-app');
    const input = await createTopic(uniqueName('signals-in'), { partitions: PARTITIONS });
    const changelog = await createTopic(`${id}-counts-changelog`, {
      partitions: PARTITIONS,
      configEntries: { 'cleanup.policy': 'compact' },
    });
    await prefillChangelog(changelog, PREFILLED);
    await produceJson(
      input,
      Array.from({ length: EVENTS }, (_, i) => ({
        value: { id: i, key: `k${i % KEYS}` },
        partition: i % PARTITIONS,
      })),
    );
    const env = {
      TEST_APP_ID: id,
      TEST_INPUT: input,
      TEST_STORE: store,
      TEST_STATE_DIR: mkdtempSync(join(tmpdir(), 'strom-signals-')),
    };
    const start = (extra: Record<string, string> = {}) => {
      const worker = spawnApp('test/fixtures/count-app.ts', ['worker'], { ...env, ...extra });
      running.push(worker);
      return worker;
    };
    const results: StopResult[] = [];

    // starting: connecting to the broker, creating topics, starting agents
    let worker = start();
    await worker.waitFor(/"worker starting"/);
    results.push(await stopAndCheck(worker, 'starting'));

    // joining: the consumer group join is under way
    worker = start();
    await worker.waitFor(/"joining the consumer group"/);
    results.push(await stopAndCheck(worker, 'joining'));

    // recovering: the table partitions read their 300k-record changelog
    worker = start();
    await worker.waitFor(/"partitions assigned"/);
    results.push(await stopAndCheck(worker, 'recovering'));
    // the stop came while recovery was under way: not every partition got to recover
    const recoveredBeforeStop = worker.lines.filter((l) => l.includes('"table partition recovered"')).length;
    expect(recoveredBeforeStop).toBeLessThan(PARTITIONS);

    // processing (and committing every second inside long batches), three times at random moments
    for (let round = 0; round < 3; round++) {
      worker = start({ TEST_SLOW_EVERY: '20' });
      await worker.waitFor(/"worker running"/);
      const before = await topicEnd(changelog);
      expect(await eventually(async () => (await topicEnd(changelog)) > before + 200, 60_000)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 1500));
      results.push(await stopAndCheck(worker, `processing ${round + 1}`));
    }

    // two signals 30 ms apart (tsx relays the terminal's Ctrl-C within milliseconds): one clean
    // stop. Sooner than any stop takes (>= 100 ms here): at 200 ms the signal sometimes met a
    // process already tearing down after a 182 ms stop, when Node has restored the default
    // action, and it died by SIGTERM after stopping cleanly (CI, stop 19).
    worker = start({ TEST_SLOW_EVERY: '20' });
    await worker.waitFor(/"worker running"/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    results.push(await stopAndCheck(worker, 'two signals', 30));

    // the last worker counts the rest and stops cleanly
    worker = start();
    await worker.waitFor(/"worker running"/);
    let last = -1;
    const settled = await eventually(async () => {
      const now = await topicEnd(changelog);
      const stable = now === last && now >= PREFILLED + EVENTS;
      last = now;
      return stable;
    }, 120_000);
    expect(settled).toBe(true);
    results.push(await stopAndCheck(worker, 'final'));

    const app = new App({ id, broker: brokers(), logLevel: testLogLevel() });
    app.table<string, number>('counts');
    const counts = await app.readTable('counts');
    const truth = EVENTS / KEYS;
    let lost = 0;
    let duplicated = 0;
    for (let k = 0; k < KEYS; k++) {
      const counted = (counts.get(`k${k}`) as number | undefined) ?? 0;
      lost += Math.max(0, truth - counted);
      duplicated += Math.max(0, counted - truth);
    }
    const stopMs = results.map((r) => r.stopMs);
    reportFigures({
      scenario: `SIGTERM at each phase (${store} store)`,
      events: EVENTS,
      faults: results.length,
      lost,
      duplicated,
      notes: `phases ${results.map((r) => `${r.phase} ${r.stopMs} ms`).join(', ')}; all exit 0; max stop ${Math.max(...stopMs)} ms`,
    });
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
  },
);
