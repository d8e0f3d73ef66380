import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from './cli.js';

/** Runs `strom argv` in this process: its exit code and what it wrote to stderr. */
async function strom(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return { code: await runCli(argv), stderr };
  } finally {
    write.mockRestore();
    vi.restoreAllMocks();
  }
}

describe('strom: unknown options, commands and settings are one-line errors (exit 2)', () => {
  beforeEach(() => {
    for (const name of Object.keys(process.env)) if (name.startsWith('STROM_')) vi.stubEnv(name, undefined);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('names the closest option of the command', async () => {
    expect(await strom(['worker', '--brokr', 'localhost:9092'])).toEqual({
      code: 2,
      stderr: 'strom: unknown option --brokr: did you mean --broker?\n',
    });
    expect(await strom(['send', 'orders', '--fiel', 'x.jsonl'])).toEqual({
      code: 2,
      stderr: 'strom: unknown option --fiel: did you mean --file?\n',
    });
    expect(await strom(['send', 'orders', '--keys=vendorId', '--zzz'])).toEqual({
      code: 2,
      stderr: 'strom: unknown option --keys: did you mean --key?; unknown option --zzz (see --help)\n',
    });
  });

  it('names the closest command; an extra argument of a command is just that', async () => {
    expect(await strom(['sendd', 'orders'])).toEqual({
      code: 2,
      stderr: 'strom: unknown command "sendd": did you mean "send"?\n',
    });
    expect(await strom(['tabels'])).toEqual({
      code: 2,
      stderr: 'strom: unknown command "tabels": did you mean "tables"?\n',
    });
    expect(await strom(['agents', 'extra'])).toEqual({
      code: 2,
      stderr: 'strom: unexpected argument "extra" (see --help)\n',
    });
  });

  it('an app file with an unknown setting, or an unknown STROM_* variable, stops the command', async () => {
    expect(await strom(['agents', '-A', 'test/fixtures/typo-settings-app.ts'])).toEqual({
      code: 2,
      stderr: 'strom: unknown setting "sessionTimeout": did you mean "sessionTimeoutMs"?\n',
    });
    // (an app file that failed to load stays failed in this process: this one is loaded here only)
    vi.stubEnv('STROM_LOGLEVEL', 'warn');
    expect(await strom(['agents', '-A', 'examples/taxi/count_vendor_trips.ts'])).toEqual({
      code: 2,
      stderr: 'strom: unknown environment variable STROM_LOGLEVEL: did you mean STROM_LOG_LEVEL?\n',
    });
  });
});

describe('strom send --csv: what is wrong with the file or the options is found before Kafka', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strom-send-'));
  const csv = join(dir, 'orders.csv');
  writeFileSync(csv, 'order_id,amount\n1,2\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // nothing listens on port 1: reaching Kafka would fail with exit code 1
  const send = (...args: string[]) =>
    strom(['send', 'orders', '--csv', csv, '-A', 'test/fixtures/plain-app.ts', '-b', '127.0.0.1:1', ...args]);

  it('a field of the schema with no column, or a --map to a missing column, is exit code 2', async () => {
    expect(await send()).toEqual({
      code: 2,
      stderr: `strom: ${csv} has no column for the field "id" (its columns: "order_id", "amount"); name one with --map id=COLUMN\n`,
    });
    expect(await send('--map', 'id=orderid', '--key', 'ide')).toEqual({
      code: 2,
      stderr: 'strom: --key: the records have no field "ide"; did you mean "id"?\n',
    });
    expect(await send('--map', 'id=order')).toEqual({
      code: 2,
      stderr: `strom: --map id=order: ${csv} has no column "order"; did you mean "order_id"?\n`,
    });
    expect(await send('--map', 'id')).toEqual({ code: 2, stderr: 'strom: --map id: write field=column\n' });
    expect(await strom(['send', 'orders', '--csv', csv, 'value'])).toMatchObject({ code: 2 });
  });

  it('a good file gets as far as the broker', async () => {
    expect(await send('--map', 'id=order_id')).toEqual({
      code: 1,
      stderr:
        'strom: cannot reach Kafka at 127.0.0.1:1: start a broker (pnpm kafka start) or pass --broker host:port\n',
    });
  });
});
