/**
 * The dashboard in a real browser: a worker running the taxi pipeline with its web server on,
 * opened in headless Chromium (Debian's chromium through playwright-core; `pnpm browser install`
 * gets it). Checks the graph, that the charts receive data and change, a table lookup and a
 * windowed one, a dead letter with its reason, and saves screenshots to docs/images/.
 */
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRides } from '../../examples/taxi/rides.js';
import { chromiumPath } from '../../scripts/browser/chromium.js';
import { uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { produceJson } from '../support/produce.js';

const WEB_PORT = 18_431;
const IMAGES = fileURLToPath(new URL('../../docs/images/', import.meta.url));
const appId = uniqueName('dash');
const input = uniqueName('rides');
const output = uniqueName('big-rides');
const rides = readRides();

let worker: WorkerProcess;
let browser: Browser;
let page: Page;

/** Reads an attribute of the first element matching `selector` in the page. */
const attribute = (selector: string, name: string) => page.locator(selector).first().getAttribute(name);

describe('the dashboard in headless Chromium', () => {
  beforeAll(async () => {
    const executablePath = chromiumPath();
    if (!executablePath) throw new Error('no Chromium found: run `pnpm browser install` (as root)');
    worker = spawnApp('test/fixtures/dashboard-app.ts', ['worker'], {
      TEST_APP_ID: appId,
      TEST_INPUT: input,
      TEST_OUTPUT: output,
      TEST_WEB_PORT: String(WEB_PORT),
    });
    await worker.waitFor(/worker running/, 45_000);
    browser = await chromium.launch({ executablePath, headless: true, timeout: 20_000 });
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const response = await page.goto(`http://127.0.0.1:${WEB_PORT}/`);
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(`http://127.0.0.1:${WEB_PORT}/dashboard/`);
    await page.locator('#state[data-state="running"]').waitFor({ timeout: 10_000 });
    if (errors.length > 0) throw new Error(`the page failed: ${errors.join('; ')}`);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await killAll(worker ? [worker] : []);
  });

  it('draws the topology: source, repartition, agent, tables, sink and dead-letter topics', async () => {
    const nodes = await page
      .locator('#graph [data-node-id]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-node-id')));
    expect(nodes).toEqual(
      expect.arrayContaining([
        `topic:${input}`,
        `repartition:${appId}-vendorId-repartition`,
        'agent:countRides',
        'table:vendor_rides',
        'table:vendor_rides_per_minute',
        `sink:${output}`,
        `dead-letter:${appId}-${input}-dlq`,
      ]),
    );
    expect(await page.locator('#graph path.edge').count()).toBeGreaterThanOrEqual(7);
    // left to right: source before agent before table
    const x = async (id: string) => (await page.locator(`[data-node-id="${id}"]`).boundingBox())!.x;
    expect(await x(`topic:${input}`)).toBeLessThan(await x('agent:countRides'));
    expect(await x('agent:countRides')).toBeLessThan(await x('table:vendor_rides'));
  });

  it('charts throughput and lag as rides arrive, and lists a dead letter with its reason', async () => {
    const half = Math.floor(rides.length / 2);
    const key = (r: (typeof rides)[number]) => ({ vendorId: r.vendorId });
    await produceJson(input, [
      ...rides.slice(0, half).map((r) => ({ key: key(r), value: r })),
      { raw: '{"vendorId": "not a number"}' },
    ]);
    await expect
      .poll(async () => Number(await attribute('#throughput', 'data-total')), { timeout: 20_000 })
      .toBeGreaterThan(0);
    const before = await attribute('#throughput path.series', 'd');
    await produceJson(
      input,
      rides.slice(half).map((r) => ({ key: key(r), value: r })),
    );
    await expect
      .poll(async () => attribute('#throughput path.series', 'd'), { timeout: 20_000 })
      .not.toBe(before);
    expect(Number(await attribute('#lag', 'data-points'))).toBeGreaterThan(0);
    await expect
      .poll(() => page.locator('#dead-letters [data-dead-letter]').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    expect(await page.locator('#dead-letters .reason').first().textContent()).toMatch(/failed its schema/);
  });

  it('looks up a key of a table and the windows of a key of a windowed table', async () => {
    const lookUp = async (table: string, key: string) => {
      await page.selectOption('#table-name', table);
      await page.fill('#table-key', key);
      await page.click('#lookup button');
    };
    // every ride counted: vendor 1 has 87 rides in rides.csv (the course's number)
    await expect
      .poll(
        async () => {
          await lookUp('vendor_rides', '1');
          await page.locator('#lookup-result:not(.muted)').waitFor({ timeout: 5_000 });
          return attribute('#lookup-result', 'data-value');
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe('87');
    await page.screenshot({ path: `${IMAGES}dashboard.png` });

    await lookUp('vendor_rides_per_minute', '2');
    await page.locator('#timeline rect').first().waitFor({ timeout: 10_000 });
    const pickups = rides
      .filter((r) => r.vendorId === 2)
      .map((r) => Math.floor(Date.parse(r.tpep_pickup_datetime) / 60_000));
    expect(await page.locator('#timeline rect').count()).toBe(Math.min(120, new Set(pickups).size));
    // the windows hold every ride of vendor 2
    expect(await page.locator('#lookup-result').textContent()).toMatch(
      new RegExp(`adding up to ${pickups.length}$`),
    );
    await page.locator('.tables').screenshot({ path: `${IMAGES}dashboard-windows.png` });
  });
});
