import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { formatLogLine, prettyDestination } from './pretty.js';

const plain = { color: false };
// 2026-01-02 03:04:05.006 in the local time zone, so the expected clock does not depend on TZ
const time = new Date(2026, 0, 2, 3, 4, 5, 6).getTime();

describe('formatLogLine', () => {
  it('writes time, level, message, then the fields as key=value', () => {
    const line = JSON.stringify({
      level: 30,
      time,
      pid: 42,
      hostname: 'h',
      app: 'shop',
      msg: 'worker started',
      agents: 2,
      topic: 'rides',
    });
    expect(formatLogLine(line, plain)).toBe('03:04:05.006 INFO  worker started agents=2 topic=rides\n');
  });

  it('quotes values with spaces, quotes or "=", writes objects as JSON', () => {
    const line = JSON.stringify({
      level: 40,
      time,
      msg: 'sent to dead-letter topic',
      reason: 'vendorId: expected number',
      partitions: [0, 1],
      offsets: { 0: '5' },
      ok: true,
      eq: 'a=b',
    });
    expect(formatLogLine(line, plain)).toBe(
      '03:04:05.006 WARN  sent to dead-letter topic reason="vendorId: expected number" partitions=[0,1] offsets={"0":"5"} ok=true eq="a=b"\n',
    );
  });

  it('shows an error by type and message, without its stack', () => {
    const line = JSON.stringify({
      level: 50,
      time,
      msg: 'agent failed',
      err: {
        type: 'TypeError',
        message: 'x is not a function',
        stack: 'TypeError: x\n    at y (file.ts:1:1)',
      },
    });
    const formatted = formatLogLine(line, plain);
    expect(formatted).toBe('03:04:05.006 ERROR agent failed err="TypeError: x is not a function"\n');
    expect(formatted).not.toContain('file.ts');
  });

  it('colors the level only when asked', () => {
    const line = JSON.stringify({ level: 60, time, msg: 'stopped' });
    expect(formatLogLine(line, { color: true })).toContain('\x1b[35mFATAL\x1b[0m');
    expect(formatLogLine(line, plain)).not.toContain('\x1b[');
  });

  it('passes a line that is not a JSON object through unchanged', () => {
    expect(formatLogLine('not json', plain)).toBe('not json\n');
    expect(formatLogLine('[1,2]', plain)).toBe('[1,2]\n');
  });
});

describe('prettyDestination', () => {
  it('turns what a pino logger writes into console lines', () => {
    const written: string[] = [];
    const log = pino(
      { name: 'shop', base: { app: 'shop' } },
      prettyDestination({ write: (s: string) => written.push(s) }, plain),
    );
    log.child({ component: 'worker' }).info({ partitions: 4 }, 'assigned');
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}assigned component=worker partitions=4\n$/);
  });
});
