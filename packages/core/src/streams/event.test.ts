import { describe, expect, it } from 'vitest';
import { Completion, StreamEvent } from './event.js';

const message = { offset: '0', key: null, value: null, timestamp: '0', headers: {} };

describe('Completion', () => {
  it('settles only when every event it counts is done, each counted once', async () => {
    const completion = new Completion(2);
    const events = [0, 1].map(() => new StreamEvent('t', 0, message, null, null, completion));
    let settled = false;
    void completion.settled.then(() => {
      settled = true;
    });
    events[0]!.done();
    events[0]!.done();
    await Promise.resolve();
    expect(settled).toBe(false);
    events[1]!.done();
    await completion.settled;
    expect(settled).toBe(true);
    expect(events.every((e) => e.finished)).toBe(true);
  });

  it('waits for work an event holds it for (a join write), even a failed one, after the event is done', async () => {
    const completion = new Completion(1);
    const event = new StreamEvent('t', 0, message, null, null, completion);
    let settled = false;
    void completion.settled.then(() => {
      settled = true;
    });
    let fail: (error: Error) => void = () => undefined;
    event.holdUntil(
      new Promise((_, reject) => {
        fail = reject;
      }),
    );
    event.done();
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    fail(new Error('joiner failed'));
    await completion.settled;
    expect(settled).toBe(true);
  });

  it('is settled at once when it counts nothing', async () => {
    await expect(new Completion(0).settled).resolves.toBeUndefined();
  });
});
