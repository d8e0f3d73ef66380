import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { App, z } from '../index.js';
import { testAgent } from '../testing/index.js';

const run = promisify(execFile);

const Order = z.object({ id: z.number(), amount: z.number() });

function makeApp() {
  return new App({ id: `forms-${Math.random().toString(36).slice(2)}`, logLevel: 'silent' });
}

describe('agent forms and sinks', () => {
  it('a decorated class method is an agent, with `this` bound to the instance', async () => {
    // vitest's transform does not lower TS 5 decorators; tsx (esbuild) does, as users run them
    const { stdout } = await run(
      process.execPath,
      ['--conditions=development', '--import', 'tsx', 'test/fixtures/decorated-agent.ts'],
      {
        cwd: fileURLToPath(new URL('../../../..', import.meta.url)),
      },
    );
    expect(JSON.parse(stdout)).toEqual({ agents: ['collect'], seen: [1, 2] });
  });

  it('yields go to every sink: topics, other agents and callbacks', async () => {
    const app = makeApp();
    const orders = app.topic('orders', { value: Order });
    const audit = app.topic<number>('audit');
    const amounts = app.topic<number>('amounts');
    const downstream = app.agent(amounts, async (stream) => {
      for await (const _ of stream);
    });
    const called: number[] = [];
    const agent = app.agent(
      orders,
      async function* (stream) {
        for await (const order of stream) yield order.amount;
      },
      { sink: [audit, downstream, (amount) => void called.push(amount)] },
    );
    const harness = await testAgent(agent);
    await harness.send({ id: 1, amount: 9 }, { key: 'o1' });
    expect(harness.sentTo(audit)).toEqual([9]);
    expect(harness.sentTo(amounts)).toEqual([9]);
    expect(harness.sent.find((r) => r.topic === 'audit')?.key).toBe('o1');
    expect(called).toEqual([9]);
    await harness.stop();
  });

  it('through() sends to a topic and continues from it; agent.send() produces to its topic', async () => {
    const app = makeApp();
    const orders = app.topic('orders', { value: Order });
    const staged = app.topic('orders-staged', { value: Order });
    const seen: number[] = [];
    const agent = app.agent(orders, async (stream) => {
      for await (const order of stream.map((o) => ({ ...o, amount: o.amount + 1 })).through(staged))
        seen.push(order.amount);
    });
    const harness = await testAgent(agent);
    await harness.send({ id: 1, amount: 1 });
    expect(seen).toEqual([2]);
    expect(harness.sentTo(staged)).toEqual([{ id: 1, amount: 2 }]);
    await agent.send({ id: 5, amount: 5 });
    expect(harness.sentTo(orders)).toEqual([{ id: 5, amount: 5 }]);
    await harness.stop();
  });

  // settings are checked in app/settings.test.ts (which clears STROM_* variables first)
  it('rejects a topic declared twice', () => {
    const app = makeApp();
    app.topic('t');
    expect(() => app.topic('t')).toThrow(/declared twice/);
  });
});
