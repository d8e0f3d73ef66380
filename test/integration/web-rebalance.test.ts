import { afterEach, expect, it } from 'vitest';
import { createTopic, uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { eventually, produceJson } from '../support/produce.js';

const running: WorkerProcess[] = [];
afterEach(() => killAll(running.splice(0)));

const KEYS = Array.from({ length: 12 }, (_, i) => `key-${i}`);
const ROUNDS = 30;

interface Observation {
  key: string;
  status: number;
  value: unknown;
  retryAfter: string | null;
}

it('during rebalances a query gets a current value or 503 with Retry-After, never a stale one', {
  timeout: 120_000,
}, async () => {
  const input = await createTopic(uniqueName('iq-rb-in'), { partitions: 4 });
  const env = { TEST_APP_ID: uniqueName('iq-rb-app'), TEST_INPUT: input };
  const start = (port: number) => {
    const worker = spawnApp('test/fixtures/web-app.ts', ['worker'], { ...env, TEST_WEB_PORT: String(port) });
    running.push(worker);
    return { worker, url: `http://127.0.0.1:${port}` };
  };
  const a = start(18321);
  const b = start(18322);
  await Promise.all([a, b].map((w) => w.worker.waitFor(/web server listening/)));
  let id = 0;
  const round = () => KEYS.map((key) => ({ value: { id: id++, key, atMs: Date.now() } }));
  await produceJson(input, round());
  const valueAt = async (url: string, key: string): Promise<Observation> => {
    const response = await fetch(`${url}/tables/counts/${encodeURIComponent(JSON.stringify(key))}`, {
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { value?: unknown };
    return {
      key,
      status: response.status,
      value: body.value,
      retryAfter: response.headers.get('retry-after'),
    };
  };
  const allAre = async (urls: string[], n: number) => {
    for (const url of urls) for (const key of KEYS) if ((await valueAt(url, key)).value !== n) return false;
    return true;
  };
  expect(await eventually(() => allAre([a.url, b.url], 1), 60_000)).toBe(true);

  // Counts only grow (at-least-once may count an event twice, never forget one): a client that
  // ever saw a count fall was served a stale partition. Ask while a third worker joins and one
  // leaves, and while events keep coming.
  const observations: Observation[] = [];
  let asking = true;
  let askUrls = [a.url, b.url];
  const ask = (async () => {
    while (asking)
      for (const url of askUrls) for (const key of KEYS) observations.push(await valueAt(url, key));
  })();
  const produce = (async () => {
    for (let r = 1; r < ROUNDS; r++) {
      await produceJson(input, round());
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  })();
  const c = start(18323);
  await c.worker.waitFor(/partitions assigned/);
  askUrls = [a.url, b.url, c.url];
  await new Promise((resolve) => setTimeout(resolve, 1500));
  askUrls = [a.url, c.url];
  b.worker.child.kill('SIGTERM');
  expect(await b.worker.exited).toBe(0);
  await produce;
  expect(await eventually(async () => (await allAtLeast([a.url, c.url], ROUNDS)) === true, 60_000)).toBe(
    true,
  );
  asking = false;
  await ask;

  const unavailable = observations.filter((o) => o.status === 503);
  const answered = observations.filter((o) => o.status === 200);
  expect(observations.filter((o) => o.status !== 200 && o.status !== 503)).toEqual([]);
  expect(unavailable.length).toBeGreaterThan(0); // the rebalances were seen
  for (const o of unavailable) expect(o.retryAfter).toBe('1');
  const seen = new Map<string, number>();
  const fell: string[] = [];
  for (const o of answered) {
    const value = o.value as number;
    if (value < (seen.get(o.key) ?? 0)) fell.push(`${o.key}: ${seen.get(o.key)} then ${value}`);
    seen.set(o.key, Math.max(value, seen.get(o.key) ?? 0));
  }
  expect(fell).toEqual([]);
  console.info(`rebalance queries: ${answered.length} answered, ${unavailable.length} × 503`);

  async function allAtLeast(urls: string[], n: number): Promise<boolean> {
    for (const url of urls)
      for (const key of KEYS) {
        const o = await valueAt(url, key);
        if (o.status !== 200 || (o.value as number) < n) return false;
      }
    return true;
  }
});
