import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Worker, z } from '@strom/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../packages/cli/src/cli.js';
import { brokers, createTopic, kafka, testLogLevel, uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { eventually, produceRecords, type TextRecord } from '../support/produce.js';

// the commands read STROM_BROKER and --broker sets it: every test starts and ends with the same env
let savedEnv: NodeJS.ProcessEnv;
const running: Worker[] = [];
const processes: WorkerProcess[] = [];
const tempDirs: string[] = [];
beforeEach(() => {
  savedEnv = { ...process.env };
  delete process.env.STROM_BROKER;
  delete process.env.STROM_LOG_LEVEL;
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.stop()));
  await killAll(processes.splice(0));
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  process.env = savedEnv;
});

/** Runs `strom <argv> -b <test broker>` in this process and returns its exit code and output. */
async function strom(argv: string[], app?: App): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  // yargs prints --help and --version with console.log
  const log = vi.spyOn(console, 'log').mockImplementation((...items: unknown[]) => {
    stdout += `${items.join(' ')}\n`;
  });
  try {
    const code = await runCli([...argv, '-b', brokers().join(',')], app ? { app } : {});
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    log.mockRestore();
  }
}

async function startWorker(app: App): Promise<Worker> {
  const worker = app.createWorker();
  await worker.start();
  running.push(worker);
  return worker;
}

/** Text records, to partition 0 unless they say otherwise. */
const produce = (topic: string, records: TextRecord[]) =>
  produceRecords(
    topic,
    records.map((r) => ({ partition: 0, ...r })),
  );

const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const Order = z.object({ id: z.string(), amount: z.number() });
const T0 = Date.parse('2020-07-01T00:00:00Z');

describe('strom --version', () => {
  it('prints the versions of @strom/cli and of the @strom/core it loads', async () => {
    const read = (path: string) =>
      (JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-V']) {
      const { code, stdout } = await strom([flag]);
      expect(code).toBe(0);
      expect(stdout.trim()).toBe(
        `@strom/cli ${read('../../packages/cli/package.json')} (@strom/core ${read('../../packages/core/package.json')}, node ${process.version})`,
      );
    }
  });
});

// Known flake (session 4): run as a whole file, one of these tests at random reads nothing or
// waits out its timeout about one run in three (each passes alone, on a fresh broker too); cause
// not found yet. Retried so CI stays usable; every attempt asserts the same.
describe('strom topic tail', { retry: 2 }, () => {
  it('prints the last records in time order, or all from the beginning, decoded with the app codecs', {
    timeout: 60_000,
  }, async () => {
    const name = await createTopic(uniqueName('orders'), { partitions: 2 });
    await produce(name, [
      { key: '"a"', value: '{"id":"o1","amount":1}', partition: 0, timestamp: T0 + 1000 },
      { key: '"b"', value: '{"id":"o2","amount":2}', partition: 1, timestamp: T0 + 2000 },
      { key: '"a"', value: '{"id":"o3","amount":3}', partition: 0, timestamp: T0 + 3000 },
      { key: '"b"', value: '{"id":"o4","amount":4}', partition: 1, timestamp: T0 + 4000 },
    ]);
    const app = new App({ id: uniqueName('tail-app'), broker: brokers(), logLevel: testLogLevel() });
    app.topic(name, { value: Order, keyCodec: 'string' });

    const last = await strom(['topic', 'tail', name, '-n', '2', '--json'], app);
    expect(last.code).toBe(0);
    expect(jsonLines(last.stdout)).toEqual([
      {
        partition: 0,
        offset: '1',
        timestamp: '2020-07-01T00:00:03.000Z',
        key: '"a"',
        value: { id: 'o3', amount: 3 },
        headers: {},
      },
      {
        partition: 1,
        offset: '1',
        timestamp: '2020-07-01T00:00:04.000Z',
        key: '"b"',
        value: { id: 'o4', amount: 4 },
        headers: {},
      },
    ]);

    const all = await strom(['topic', 'tail', name, '--from-beginning'], app);
    expect(all.code).toBe(0);
    expect(all.stdout.trim().split('\n')).toEqual([
      'p0  @0  2020-07-01T00:00:01.000Z  key="a"  value={"id":"o1","amount":1}',
      'p0  @1  2020-07-01T00:00:03.000Z  key="a"  value={"id":"o3","amount":3}',
      'p1  @0  2020-07-01T00:00:02.000Z  key="b"  value={"id":"o2","amount":2}',
      'p1  @1  2020-07-01T00:00:04.000Z  key="b"  value={"id":"o4","amount":4}',
    ]);

    // no app: the bytes as text
    const raw = await strom(['topic', 'tail', name, '--from-beginning', '--limit', '1']);
    expect(raw.code).toBe(0);
    expect(raw.stdout.trim()).toBe('p0  @0  2020-07-01T00:00:01.000Z  key="a"  value={"id":"o1","amount":1}');

    const missing = await strom(['topic', 'tail', uniqueName('nothing-here')], app);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^strom: no topic nothing-here-\S+ on the broker\n$/);
  });

  it('--dlq shows the dead letters of a topic with their reason and source coordinates', {
    timeout: 60_000,
  }, async () => {
    const name = await createTopic(uniqueName('orders'), { partitions: 1 });
    const app = new App({ id: uniqueName('dlq-app'), broker: brokers(), logLevel: testLogLevel() });
    const orders = app.topic(name, { value: Order });
    let good = 0;
    app.agent(orders, async function take(stream) {
      for await (const _ of stream) good += 1;
    });
    await produce(name, [
      { value: '{"id":"o1","amount":1}', timestamp: T0 },
      { value: '{"id":"o2","amount":"lots"}', timestamp: T0 + 1000 },
      { value: 'not json', timestamp: T0 + 2000 },
    ]);
    await startWorker(app);
    expect(await eventually(() => good === 1)).toBe(true);
    let lines: Record<string, unknown>[] = [];
    expect(
      await eventually(async () => {
        const { stdout } = await strom(['topic', 'tail', name, '--dlq', '--from-beginning', '--json'], app);
        lines = jsonLines(stdout);
        return lines.length === 2;
      }, 30_000),
    ).toBe(true);
    expect(lines.map((l) => l.value)).toEqual([{ id: 'o2', amount: 'lots' }, 'not json']);
    expect(lines.map((l) => l.deadLetter)).toEqual([
      {
        reason: expect.stringMatching(/^value failed its schema: amount: /),
        topic: name,
        partition: 0,
        offset: '1',
        timestamp: '2020-07-01T00:00:01.000Z',
      },
      {
        reason: expect.stringMatching(/^value could not be decoded as json: /),
        topic: name,
        partition: 0,
        offset: '2',
        timestamp: '2020-07-01T00:00:02.000Z',
      },
    ]);
    const text = await strom(['topic', 'tail', name, '--dlq', '-n', '1'], app);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(
        `^p0  @1  \\S+  key=null  value=not json  source=${name}\\[0\\]@2  reason=value could not be decoded as json: .+\n$`,
      ),
    );

    const noApp = await strom(['topic', 'tail', name, '--dlq']);
    expect(noApp.code).toBe(2);
    expect(noApp.stderr).toMatch(/--dlq needs the app/);
  });

  it('--follow prints records written after it started, up to --limit', { timeout: 60_000 }, async () => {
    const name = await createTopic(uniqueName('events'), { partitions: 2 });
    const tail = strom(['topic', 'tail', name, '--follow', '--limit', '3', '--json']);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await produce(name, [
      { value: '"one"', partition: 0 },
      { value: '"two"', partition: 1 },
      { value: '"three"', partition: 0 },
      { value: '"four"', partition: 1 },
    ]);
    const { code, stdout } = await tail;
    expect(code).toBe(0);
    const values = jsonLines(stdout).map((l) => l.value);
    expect(values).toHaveLength(3);
    expect(new Set(values).size).toBe(3);
    for (const v of values) expect(['"one"', '"two"', '"three"', '"four"']).toContain(v);
  });

  it('--follow prints the last records, then new ones until Ctrl-C, and exits 0', {
    timeout: 60_000,
  }, async () => {
    const name = await createTopic(uniqueName('events'), { partitions: 1 });
    await produce(name, [{ value: 'old-1' }, { value: 'old-2' }]);
    const tail = spawnApp('packages/cli/bin/strom.js', [
      'topic',
      'tail',
      name,
      '--follow',
      '-b',
      brokers().join(','),
    ]);
    processes.push(tail);
    await tail.waitFor(/^p0 {2}@1 .* value=old-2$/, 30_000);
    await produce(name, [{ value: 'new-1' }]);
    await tail.waitFor(/^p0 {2}@2 .* value=new-1$/, 30_000);
    tail.child.kill('SIGINT');
    expect(await tail.exited).toBe(0);
    expect(tail.lines.map((l) => l.replace(/ {2}\S+Z {2}/, '  <time>  '))).toEqual([
      'p0  @0  <time>  key=null  value=old-1',
      'p0  @1  <time>  key=null  value=old-2',
      'p0  @2  <time>  key=null  value=new-1',
    ]);
  });
});

describe('strom reset', () => {
  /** Counts orders per customer through a groupBy into a RocksDB table. */
  function shop(id: string, input: string, stateDir: string) {
    const app = new App({ id, broker: brokers(), logLevel: testLogLevel(), store: 'rocksdb', stateDir });
    const counts = app.table<string, number>('per_customer', { default: () => 0 });
    let processed = 0;
    app.agent(app.topic(input, { value: z.object({ customer: z.string() }) }), async function count(stream) {
      for await (const o of stream.groupBy((o) => o.customer, { name: 'by-customer' })) {
        await counts.update(o.customer, (n) => n + 1);
        processed += 1;
      }
    });
    return { app, processed: () => processed };
  }

  it('shows what it would do, refuses while a worker runs, then deletes offsets, internal topics and state', {
    timeout: 120_000,
  }, async () => {
    const input = await createTopic(uniqueName('shop-orders'), { partitions: 2 });
    await produce(
      input,
      ['ada', 'bob', 'ada', 'cy', 'ada'].map((customer, i) => ({
        value: JSON.stringify({ customer }),
        partition: i % 2,
      })),
    );
    const id = uniqueName('shop');
    const stateDir = mkdtempSync(join(tmpdir(), 'strom-reset-'));
    tempDirs.push(stateDir);
    const repartition = `${id}-by-customer-repartition`;
    const changelog = `${id}-per_customer-changelog`;
    const lookalike = await createTopic(`${id}-renamed-long-ago-changelog`);

    const first = shop(id, input, stateDir);
    const worker = await startWorker(first.app);
    expect(await eventually(() => first.processed() === 5)).toBe(true);
    const counted = async (app: App) => Object.fromEntries(await app.readTable('per_customer'));
    expect(await counted(first.app)).toEqual({ ada: 3, bob: 1, cy: 1 });

    const refused = await strom(['reset', '--yes'], first.app);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`^strom: app ${id} has 1 live worker in its group \\(.+\\): stop it, then reset\\n$`),
    );
    await worker.stop();

    const dry = await strom(['reset', '--dry-run'], first.app);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`reset of app ${id} (dry run: nothing changed)`);
    expect(dry.stdout).toContain(
      `consumer group ${id}: delete, with its offsets on ${[input, repartition].sort().join(', ')}`,
    );
    expect(dry.stdout).toContain(`internal topics: delete ${[changelog, repartition].sort().join(', ')}`);
    expect(dry.stdout).toContain(`local state: delete ${join(stateDir, id)}`);
    expect(dry.stdout).toContain(`left alone: ${lookalike} (`);
    const admin = kafka().admin();
    await admin.connect();
    try {
      const topicsAfterDryRun = await admin.listTopics();
      expect(topicsAfterDryRun).toEqual(expect.arrayContaining([repartition, changelog, lookalike]));
      expect(existsSync(join(stateDir, id))).toBe(true);

      const unconfirmed = await strom(['reset'], first.app);
      expect(unconfirmed.code).toBe(2);
      expect(unconfirmed.stderr).toBe(
        'strom: reset deletes data: pass --yes to confirm (or --dry-run to see what it would do)\n',
      );

      const reset = await strom(['reset', '--yes'], first.app);
      expect(reset.code).toBe(0);
      expect(reset.stdout).toContain(`reset of app ${id}: done`);
      const left = await admin.listTopics();
      expect(left).not.toContain(repartition);
      expect(left).not.toContain(changelog);
      expect(left).toContain(lookalike);
      expect(left).toContain(input);
      expect(existsSync(join(stateDir, id))).toBe(false);
      const [offsets] = await admin.fetchOffsets({ groupId: id, topics: [input] });
      expect(offsets!.partitions.map((p) => p.offset)).toEqual(['-1', '-1']);
    } finally {
      await admin.disconnect();
    }

    // the app starts over: the same input counted once more from scratch, not added to old counts
    const second = shop(id, input, stateDir);
    await startWorker(second.app);
    expect(await eventually(() => second.processed() === 5, 60_000)).toBe(true);
    // the changelog starts empty: counts of the first run are not added to
    expect(await eventually(async () => Object.keys(await counted(second.app)).length === 3)).toBe(true);
    expect(await counted(second.app)).toEqual({ ada: 3, bob: 1, cy: 1 });
  });
});

describe('strom table on a windowed table', { retry: 2 }, () => {
  it('shows each window as a readable time range next to its key', { timeout: 60_000 }, async () => {
    const input = await createTopic(uniqueName('rides'), { partitions: 1 });
    const app = new App({ id: uniqueName('win-table'), broker: brokers(), logLevel: testLogLevel() });
    const perMinute = app.table<string, number>('per_minute', { default: () => 0 }).tumbling(60_000, {
      expiresMs: 365 * 24 * 3_600_000,
      graceMs: 24 * 3_600_000,
    });
    let seen = 0;
    app.agent(app.topic<number, string>(input), async function countRides(stream) {
      for await (const e of stream.events()) {
        await perMinute.update(e.key, (n) => n + 1);
        seen += 1;
      }
    });
    const at = (iso: string) => Date.parse(iso);
    await produce(input, [
      { key: '"v1"', value: '1', timestamp: at('2020-07-01T00:15:11Z') },
      { key: '"v1"', value: '1', timestamp: at('2020-07-01T00:15:59Z') },
      { key: '"v2"', value: '1', timestamp: at('2020-07-01T00:15:30Z') },
      { key: '"v1"', value: '1', timestamp: at('2020-07-01T23:59:30Z') },
    ]);
    const worker = await startWorker(app);
    expect(await eventually(() => seen === 4)).toBe(true);
    await worker.stop();

    const { code, stdout } = await strom(['table', 'per_minute'], app);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual([
      'key  window                                        value',
      'v1   [2020-07-01T00:15:00Z, 00:16:00Z)             2',
      'v1   [2020-07-01T23:59:00Z, 2020-07-02T00:00:00Z)  1',
      'v2   [2020-07-01T00:15:00Z, 00:16:00Z)             1',
    ]);
    const one = await strom(['table', 'per_minute', '-k', 'v2'], app);
    expect(one.stdout.trim().split('\n')).toEqual([
      'key  window                             value',
      'v2   [2020-07-01T00:15:00Z, 00:16:00Z)  1',
    ]);
  });
});
