import { createTableClient } from '@strom/core';
import { afterEach, describe, expect, it } from 'vitest';
import { collect, createTopic, uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { eventually, produceJson } from '../support/produce.js';

const running: WorkerProcess[] = [];
afterEach(() => killAll(running.splice(0)));

interface Answer {
  status: number;
  answeredBy: string | null;
  retryAfter: string | null;
  body: Record<string, unknown>;
}

async function get(url: string): Promise<Answer> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return {
    status: response.status,
    answeredBy: response.headers.get('x-strom-answered-by'),
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

const KEYS = Array.from({ length: 24 }, (_, i) => `key-${i}`);
const MINUTE = 60_000;
// recent whole-hour times (a broker's retention may delete older records)
const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;

describe('interactive queries across two workers', () => {
  it('answers every key of a table correctly from either worker (owner or not)', {
    timeout: 120_000,
  }, async () => {
    const input = await createTopic(uniqueName('iq-in'), { partitions: 4 });
    const appId = uniqueName('iq-app');
    // key-i gets i+1 events: event j of it at T0 + j minutes, so its windows are known
    const records = KEYS.flatMap((key, i) =>
      Array.from({ length: i + 1 }, (_, j) => ({ value: { id: i * 100 + j, key, atMs: T0 + j * MINUTE } })),
    );
    const truth = new Map(KEYS.map((key, i) => [key, i + 1]));
    const ports = [18311, 18312];
    const urls = ports.map((p) => `http://127.0.0.1:${p}`);
    for (const port of ports) {
      const worker = spawnApp('test/fixtures/web-app.ts', ['worker'], {
        TEST_APP_ID: appId,
        TEST_INPUT: input,
        TEST_WEB_PORT: String(port),
      });
      running.push(worker);
    }
    await Promise.all(running.map((w) => w.waitFor(/web server listening/)));
    await produceJson(input, records);

    const allCurrent = async () => {
      for (const url of urls)
        for (const key of KEYS) {
          const answer = await get(`${url}/tables/counts/${encodeURIComponent(JSON.stringify(key))}`);
          if (answer.status !== 200 || answer.body.value !== truth.get(key)) return false;
        }
      return true;
    };
    expect(await eventually(allCurrent, 90_000)).toBe(true);
    // then a record that is no JSON (a dead letter) and an event too late for its windows
    // (stream time of its partition is past T0, the grace an hour): counted, not windowed
    await produceJson(input, [
      { raw: 'not json' },
      { value: { id: 9999, key: 'key-23', atMs: T0 - 3 * 3_600_000 } },
    ]);
    truth.set('key-23', 25);
    expect(await eventually(allCurrent, 60_000)).toBe(true);

    // where each key's changelog records are: the partition the answers must name
    const changelog = await collect(`${appId}-counts-changelog`, records.length + 1);
    expect(changelog.length).toBe(records.length + 1);
    const partitionOf = new Map(changelog.map((m) => [JSON.parse(m.key!) as string, m.partition]));

    let forwarded = 0;
    let local = 0;
    const answerers = new Set<string | null>();
    for (const [w, url] of urls.entries()) {
      for (const key of KEYS) {
        // the key as JSON, and as bare text (not JSON: taken as the string)
        for (const text of [encodeURIComponent(JSON.stringify(key)), key]) {
          const answer = await get(`${url}/tables/counts/${text}`);
          expect(answer.status).toBe(200);
          expect(answer.body).toMatchObject({
            table: 'counts',
            key,
            value: truth.get(key),
            partition: partitionOf.get(key),
          });
          expect(urls).toContain(answer.answeredBy);
          answerers.add(answer.answeredBy);
          if (answer.answeredBy === urls[w]) local += 1;
          else forwarded += 1;
        }
      }
    }
    // both workers own partitions, so each answered some keys itself and forwarded the others
    expect(answerers.size).toBe(2);
    expect(local).toBeGreaterThan(0);
    expect(forwarded).toBeGreaterThan(0);

    const unknown = await get(`${urls[0]}/tables/counts/${encodeURIComponent('"no-such-key"')}`);
    expect(unknown.status).toBe(404);
    const noTable = await get(`${urls[1]}/tables/nope/1`);
    expect(noTable.status).toBe(404);
    expect(String(noTable.body.error)).toMatch(/no table "nope": the tables are counts, per_minute/);

    // windowed: key-i has one event per minute for i+1 minutes, from either worker
    for (const url of urls) {
      for (const [i, key] of KEYS.entries()) {
        const k = encodeURIComponent(JSON.stringify(key));
        const windows = await get(
          `${url}/tables/per_minute/${k}/windows?fromMs=${T0}&toMs=${T0 + 3 * MINUTE}`,
        );
        expect(windows.status).toBe(200);
        const expected = Array.from({ length: Math.min(i + 1, 3) }, (_, j) => ({
          startMs: T0 + j * MINUTE,
          endMs: T0 + (j + 1) * MINUTE,
          value: 1,
        }));
        expect(windows.body.windows).toEqual(expected);
        const current = await get(`${url}/tables/per_minute/${k}/current?atMs=${T0 + i * MINUTE + 5}`);
        expect(current.status).toBe(200);
        expect(current.body.window).toEqual({
          startMs: T0 + i * MINUTE,
          endMs: T0 + (i + 1) * MINUTE,
          value: 1,
        });
      }
    }
    const plainOnWindowed = await get(`${urls[0]}/tables/per_minute/1`);
    expect(plainOnWindowed.status).toBe(400);

    // metrics of both workers, scraped and parsed: the counters moved as the work says
    const scrapes = await Promise.all(
      urls.map(async (url) => parseMetrics(await (await fetch(`${url}/metrics`)).text())),
    );
    // the sum over both workers of the samples of `name` with these labels (at least one must exist)
    const total = (name: string, labels: Record<string, string> = {}) => {
      const matching = scrapes
        .flat()
        .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      expect(matching.length, `${name} ${JSON.stringify(labels)}`).toBeGreaterThan(0);
      return matching.reduce((sum, s) => sum + s.value, 0);
    };
    const repartition = `${appId}-by-key-repartition`;
    // at least once: a rebalance may hand a batch to the other worker again
    expect(total('strom_records_consumed_total', { topic: input })).toBeGreaterThanOrEqual(
      records.length + 2,
    );
    expect(
      total('strom_agent_events_total', { agent: 'countKeys', topic: repartition }),
    ).toBeGreaterThanOrEqual(records.length + 1);
    expect(
      total('strom_records_produced_total', { topic: `${appId}-counts-changelog` }),
    ).toBeGreaterThanOrEqual(records.length + 1);
    expect(total('strom_dead_letters_total')).toBeGreaterThanOrEqual(1);
    expect(total('strom_late_events_total', { table: 'per_minute' })).toBeGreaterThanOrEqual(1);
    expect(total('strom_table_keys', { table: 'counts' })).toBe(KEYS.length);
    expect(total('strom_rebalances_total')).toBeGreaterThanOrEqual(2);
    expect(total('strom_commit_seconds_count')).toBeGreaterThan(0);
    expect(total('strom_batch_processing_seconds_count', { topic: repartition })).toBeGreaterThan(0);
    expect(total('strom_consumer_lag_records', { topic: input })).toBe(0);
    expect(total('strom_producer_queue_records')).toBe(0);
    for (const scrape of scrapes) expect(scrape.every((s) => s.labels.app === appId)).toBe(true);

    // the typed client, for other services
    const counts = createTableClient<string, number>(urls, 'counts');
    expect(await counts.get('key-7')).toBe(8);
    expect(await counts.get('no-such-key')).toBeUndefined();
    const perMinute = createTableClient<string, number>(urls[1]!, 'per_minute');
    expect(await perMinute.windows('key-1')).toEqual([
      { startMs: T0, endMs: T0 + MINUTE, value: 1 },
      { startMs: T0 + MINUTE, endMs: T0 + 2 * MINUTE, value: 1 },
    ]);
    expect(await perMinute.windows('key-1', { fromMs: T0 + MINUTE })).toHaveLength(1);
    expect(await perMinute.current('key-1', T0 + MINUTE + 1)).toEqual({
      startMs: T0 + MINUTE,
      endMs: T0 + 2 * MINUTE,
      value: 1,
    });
    await expect(createTableClient(urls, 'nope').get(1)).rejects.toThrow(/no table "nope"/);

    // strom table --key asks the running workers; with none running it reads the changelog
    const env = { TEST_APP_ID: appId, TEST_INPUT: input, TEST_WEB_PORT: '18319' };
    const strom = async (args: string[]) => {
      const cli = spawnApp('test/fixtures/web-app.ts', args, env);
      running.push(cli);
      expect(await cli.exited).toBe(0);
      return cli.lines;
    };
    const asked = await strom(['table', 'counts', '--key', 'key-5']);
    expect(
      asked.some((l) => l.startsWith('asking the workers at ') && urls.every((u) => l.includes(u))),
    ).toBe(true);
    expect(asked.filter((l) => l.startsWith('key-'))).toEqual([expect.stringMatching(/^key-5\s+6$/)]);
    const windows = await strom(['table', 'per_minute', '--key', 'key-2']);
    expect(windows.filter((l) => l.startsWith('key-2'))).toHaveLength(3);
    for (const worker of running.slice(0, 2)) worker.child.kill('SIGTERM');
    await Promise.all(running.slice(0, 2).map((w) => w.exited));
    await expect(createTableClient(urls, 'counts', { retryForMs: 300 }).get('key-5')).rejects.toMatchObject({
      code: 'NOT_RUNNING',
    });
    const read = await strom(['table', 'counts', '--key', 'key-5']);
    expect(read).toContain('no worker serves queries (web: true): reading the changelog');
    expect(read.filter((l) => l.startsWith('key-'))).toEqual([expect.stringMatching(/^key-5\s+6$/)]);
  });
});

/** Prometheus text format: one sample a line, `name{label="value",...} number`; comments skipped. */
function parseMetrics(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}
