import { App, count, type Worker } from '@strom/core';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers, collect, createTopic, kafka, testLogLevel, uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { consumeUntil, eventually } from '../support/produce.js';

const running: Worker[] = [];
const processes: WorkerProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.stop()));
  await killAll(processes.splice(0));
});

/** Produces `key` events with the given record timestamps, in order, to partition 0. */
async function produceAt(topic: string, key: string, times: number[]): Promise<void> {
  const producer = kafka().producer({ idempotent: true }); // a retry must not duplicate (see produceJson)
  await producer.connect();
  await producer.send({
    topic,
    messages: times.map((t) => ({
      key: JSON.stringify(key),
      value: JSON.stringify(t),
      timestamp: String(t),
      partition: 0,
    })),
  });
  await producer.disconnect();
}

// recent, whole-hour record times: on a broker with the default 7-day retention older ones would
// be deleted while the test runs (the dev broker keeps them, but KAFKA_BROKERS may be any broker)
const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
const times = [0, 4, 5, 11, 12, 30, 31, 33, 60, 61, 95].map((s) => T0 + s * 1000);

describe('windowed tables on a real broker (record timestamps)', () => {
  it('hopping, sliding and session counts equal the textbook definitions', { timeout: 60_000 }, async () => {
    const input = await createTopic(uniqueName('win-in'), { partitions: 1 });
    await produceAt(input, 'k', times);
    const app = new App({ id: uniqueName('win-app'), broker: brokers(), logLevel: testLogLevel() });
    const grace = { graceMs: 60_000 };
    const hop = app.table<string, number>('hop', { default: () => 0 }).hopping(20_000, 10_000, grace);
    const slide = app
      .table<string, number>('slide')
      .sliding(10_000, { ...grace, aggregate: count<number>() });
    const sessions = app
      .table<string, number>('sess')
      .session(15_000, { ...grace, aggregate: count<number>() });
    let seen = 0;
    app.agent(app.topic<number, string>(input), async function all(stream) {
      for await (const e of stream.events()) {
        await hop.update(e.key, (n) => n + 1);
        await slide.add(e.key, e.value);
        await sessions.add(e.key, e.value);
        seen += 1;
      }
    });
    const worker = app.createWorker();
    await worker.start();
    running.push(worker);
    expect(await eventually(() => seen === times.length, 60_000)).toBe(true);

    const inWindow = (start: number, end: number) => times.filter((t) => t >= start && t < end).length;
    for (const w of await hop.range('k', T0 - 60_000, T0 + 200_000)) {
      expect(w.value).toBe(inWindow(w.window.startMs, w.window.endMs));
    }
    // sliding: every window holds exactly the records inside it, and each record's own window exists
    const slides = await slide.range('k', T0 - 60_000, T0 + 200_000);
    for (const w of slides) expect(w.value).toBe(inWindow(w.window.startMs, w.window.endMs));
    for (const t of times)
      expect(slides.some((w) => w.window.startMs === t - 10_000 && w.window.endMs === t + 1)).toBe(true);
    // sessions: gaps over 15 s split 0-12 s, 30-33 s, 60-61 s, 95 s
    const sess = (await sessions.range('k', T0 - 60_000, T0 + 200_000)).map((w) => [
      (w.window.startMs - T0) / 1000,
      (w.window.endMs - 1 - T0) / 1000,
      w.value,
    ]);
    expect(sess).toEqual([
      [0, 12, 5],
      [30, 33, 3],
      [60, 61, 2],
      [95, 95, 1],
    ]);
  });

  it('after kill -9 and a restart, old windows still close and expire (tombstones, live windows)', {
    timeout: 120_000,
  }, async () => {
    const input = await createTopic(uniqueName('win-crash-in'), { partitions: 1 });
    const output = await createTopic(uniqueName('win-crash-out'), { partitions: 1 });
    const id = uniqueName('win-crash-app');
    const env = { TEST_APP_ID: id, TEST_INPUT: input, TEST_OUTPUT: output };
    const first = spawnApp('test/fixtures/window-app.ts', ['worker'], env);
    processes.push(first);
    await first.waitFor(/worker running/);
    // minutes 0..4, three events each
    await produceAt(
      input,
      'a',
      [0, 1, 2, 3, 4].flatMap((m) => [0, 10, 20].map((s) => T0 + m * 60_000 + s * 1000)),
    );
    const changelog = `${id}-per_minute-changelog`;
    const changelogSize = async () => (await collect(changelog, 1000, { timeoutMs: 1500 })).length;
    expect(await eventually(async () => (await changelogSize()) >= 15, 30_000)).toBe(true);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = spawnApp('test/fixtures/window-app.ts', ['worker'], env);
    processes.push(second);
    await second.waitFor(/worker running/);
    // minute 10: stream time moves past the old windows' close (end) and expiry (end + 2 min)
    await produceAt(input, 'a', [T0 + 10 * 60_000]);
    const closed = await consumeUntil<{ startMs: number; count: number }>(output, (v) =>
      [0, 1, 2, 3, 4].every((m) => v.some((c) => c.startMs === T0 + m * 60_000)),
    );
    for (const m of [0, 1, 2, 3, 4]) {
      expect(closed.find((c) => c.startMs === T0 + m * 60_000)?.count).toBe(3);
    }
    const reports = [0, 1, 2, 3, 4].map((m) => closed.filter((c) => c.startMs === T0 + m * 60_000).length);
    // windows closed before the crash are not reported again once their stream time was committed
    console.info(`window close reports per window across the crash: ${reports.join(', ')}`);
    expect(Math.max(...reports)).toBeLessThanOrEqual(2);
    const records = await collect(changelog, 1000, { timeoutMs: 3000 });
    const tombstoned = records
      .filter((r) => r.value === null)
      .map((r) => (JSON.parse(r.key!) as number[])[1]);
    expect(tombstoned.sort()).toEqual([0, 1, 2, 3, 4].map((m) => T0 + m * 60_000));
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const app = new App({ id, broker: brokers(), logLevel: testLogLevel() });
    app.table('per_minute');
    const live = [...(await app.readTable('per_minute')).keys()];
    expect(live.map((k) => (JSON.parse(k) as number[])[1])).toEqual([T0 + 10 * 60_000]);
  });
});
