import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
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

  it('names the closest command', async () => {
    expect(await strom(['sendd', 'orders'])).toEqual({
      code: 2,
      stderr: 'strom: unknown command "sendd": did you mean "send"?\n',
    });
  });

  it('an app file with an unknown setting, or an unknown STROM_* variable, stops the command', async () => {
    expect(await strom(['agents', '-A', 'test/fixtures/typo-settings-app.ts'])).toEqual({
      code: 2,
      stderr: 'strom: unknown setting "sessionTimeout": did you mean "sessionTimeoutMs"?\n',
    });
    vi.stubEnv('STROM_LOGLEVEL', 'warn');
    expect(await strom(['agents', '-A', 'test/fixtures/plain-app.ts'])).toEqual({
      code: 2,
      stderr: 'strom: unknown environment variable STROM_LOGLEVEL: did you mean STROM_LOG_LEVEL?\n',
    });
  });
});
