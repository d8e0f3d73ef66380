import { afterEach, describe, expect, it } from 'vitest';
import { createTopic, uniqueName } from '../support/kafka.js';
import { killAll, spawnApp, type WorkerProcess } from '../support/processes.js';
import { eventually } from '../support/produce.js';

const running: WorkerProcess[] = [];
afterEach(() => killAll(running.splice(0)));

/** GET `url`: status, Retry-After and the JSON body. */
async function get(url: string): Promise<{ status: number; retryAfter: string | null; body: unknown }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: await response.json(),
  };
}

describe('the web server of a worker', () => {
  it('answers /health at once and /ready once its partitions are current', { timeout: 90_000 }, async () => {
    const input = await createTopic(uniqueName('web-in'), { partitions: 2 });
    const port = 18301;
    // --web-port overrides the app's webPort (18300)
    const worker = spawnApp('test/fixtures/web-app.ts', ['worker', '--web-port', String(port)], {
      TEST_APP_ID: uniqueName('web-app'),
      TEST_INPUT: input,
      TEST_WEB_PORT: '18300',
    });
    running.push(worker);
    expect(await worker.waitFor(/web server listening/)).toContain(`http://127.0.0.1:${port}`);
    const health = await get(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok' });
    let ready = await get(`http://127.0.0.1:${port}/ready`);
    expect(
      await eventually(
        async () => (ready = await get(`http://127.0.0.1:${port}/ready`)).status === 200,
        60_000,
      ),
    ).toBe(true);
    expect(ready.body).toMatchObject({ status: 'ready' });
    const missing = await get(`http://127.0.0.1:${port}/no-such-route`);
    expect(missing.status).toBe(404);
  });

  it('a port in use is a one-line error naming the setting', { timeout: 90_000 }, async () => {
    const input = await createTopic(uniqueName('web-in'), { partitions: 1 });
    const port = 18302;
    const env = { TEST_APP_ID: uniqueName('web-app'), TEST_INPUT: input, TEST_WEB_PORT: String(port) };
    const first = spawnApp('test/fixtures/web-app.ts', ['worker'], env);
    running.push(first);
    await first.waitFor(/web server listening/);
    const second = spawnApp('test/fixtures/web-app.ts', ['worker'], env);
    running.push(second);
    expect(await second.exited).toBe(2); // a setting to change: exit code 2, as every config error
    const errors = second.lines.filter((l) => /webPort/.test(l));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^strom: webPort 18302 on 127\.0\.0\.1 is in use/);
    expect(second.lines.some((l) => /^\s+at /.test(l))).toBe(false); // no stack trace
  });
});
