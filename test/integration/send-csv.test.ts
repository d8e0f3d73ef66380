import { runCli } from '@strom/cli';
import { App } from '@strom/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TLC_FIXTURES } from '../../examples/taxi/test/tlc-fixtures.js';
import { brokers, collect, createTopic, testLogLevel, uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { eventually } from '../support/produce.js';

const APP = 'test/fixtures/tlc-count-app.ts';
const STROM = 'packages/cli/bin/strom.js';
const running: WorkerProcess[] = [];
afterEach(() => killAll(running.splice(0)));

/** The tables' contents, read from their changelogs by an App of the same id (no worker). */
async function readCounts(appId: string): Promise<Record<string, Record<string, unknown>>> {
  const reader = new App({ id: appId, broker: brokers(), logLevel: testLogLevel() });
  for (const f of TLC_FIXTURES) reader.table(`vendor_rides_${f.label}`);
  const counts: Record<string, Record<string, unknown>> = {};
  try {
    for (const f of TLC_FIXTURES)
      counts[f.label] = Object.fromEntries(await reader.readTable(`vendor_rides_${f.label}`));
  } finally {
    await reader.stop();
  }
  return counts;
}

describe('strom send --csv: TLC files of every format, counted by a worker', () => {
  it('exact rides per vendor; every refused row in the dead-letter topic once, with its reason', {
    timeout: 180_000,
  }, async () => {
    const appId = uniqueName('tlc-app');
    const topics = await Promise.all(
      TLC_FIXTURES.map((f) => createTopic(uniqueName(`tlc-${f.label}`), { partitions: 2 })),
    );
    const env = {
      TEST_APP_ID: appId,
      TEST_INPUTS: TLC_FIXTURES.map((f, i) => `${f.label}=${topics[i]}`).join(','),
    };
    const worker = spawnApp(APP, ['worker'], env);
    running.push(worker);
    await worker.waitFor(/worker running/);

    for (const [i, fixture] of TLC_FIXTURES.entries()) {
      const args = ['send', topics[i]!, '--csv', fixture.file, '--key', '{vendorId}', '-A', APP];
      const send = spawnApp(STROM, args, env);
      running.push(send);
      expect(await send.exited).toBe(0);
      const vendorless = Object.values(fixture.refused).filter((field) => field === 'vendorId').length;
      expect(send.lines).toEqual([
        `read ${fixture.rows} rows from ${fixture.file}; sent ${fixture.rows} records to ${topics[i]}`,
        `${vendorless} ${vendorless === 1 ? 'row' : 'rows'} with empty required fields (vendorId ${vendorless}, passenger_count ${vendorless}, ` +
          `payment_type ${vendorless}): sent as they are; a worker sends them to the dead-letter topic`,
      ]);
    }

    const expected = Object.fromEntries(TLC_FIXTURES.map((f) => [f.label, f.ridesPerVendor]));
    let counts: Record<string, Record<string, unknown>> = {};
    await eventually(async () => {
      counts = await readCounts(appId).catch(() => ({}));
      return JSON.stringify(counts) === JSON.stringify(expected);
    }, 90_000);
    // no vendor 0 (nor "null"): a row without a vendor is never counted
    expect(counts).toEqual(expected);

    // one more than expected, to see a duplicate if there were one (returns after the timeout)
    const deadLetters = await Promise.all(
      TLC_FIXTURES.map((f, i) =>
        collect(`${appId}-${topics[i]}-dlq`, Object.keys(f.refused).length + 1, { timeoutMs: 5000 }),
      ),
    );
    for (const [i, fixture] of TLC_FIXTURES.entries()) {
      const letters = deadLetters[i]!;
      expect(letters).toHaveLength(Object.keys(fixture.refused).length);
      const byPickup = new Map(
        letters.map((m) => [
          (JSON.parse(m.value!) as { tpep_pickup_datetime: string }).tpep_pickup_datetime,
          m.headers,
        ]),
      );
      expect([...byPickup.keys()].sort()).toEqual(Object.keys(fixture.refused).sort());
      for (const [pickup, field] of Object.entries(fixture.refused)) {
        const headers = byPickup.get(pickup)!;
        expect(String(headers['strom.error'])).toMatch(new RegExp(`failed its schema: .*${field}`));
        expect(String(headers['strom.source.topic'])).toBe(topics[i]);
      }
    }

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });
});

describe('strom send --csv --limit --rate', () => {
  it('sends the first rows only, paced, keyed by the fields in braces', async () => {
    const [yellow] = TLC_FIXTURES;
    const topic = await createTopic(uniqueName('tlc-limit'), { partitions: 1 });
    vi.stubEnv('TEST_APP_ID', uniqueName('tlc-limit-app'));
    vi.stubEnv('TEST_INPUTS', `yellow=${topic}`);
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    const started = Date.now();
    let code: number;
    try {
      const args = [
        '--limit',
        '3',
        '--rate',
        '20',
        '--key',
        '{vendorId}',
        '-A',
        APP,
        '-b',
        brokers().join(','),
      ];
      code = await runCli(['send', topic, '--csv', yellow!.file, ...args]);
    } finally {
      vi.restoreAllMocks();
      vi.unstubAllEnvs();
    }
    // 3 records at 20 a second: the third leaves 100 ms after the first, at the earliest
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(code).toBe(0);
    expect(stdout).toBe(`read 3 rows from ${yellow!.file}; sent 3 records to ${topic}\n`);
    const records = await collect(topic, 4, { timeoutMs: 3000 });
    expect(records.map((r) => r.key)).toEqual(['{"vendorId":1}', '{"vendorId":2}', '{"vendorId":2}']);
    expect(records.map((r) => JSON.parse(r.value!).tpep_pickup_datetime)).toEqual([
      '2020-07-01T00:25:32Z',
      '2020-07-01T00:03:19Z',
      '2020-07-01T00:15:11Z',
    ]);
  });
});
