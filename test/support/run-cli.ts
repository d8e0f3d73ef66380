import { vi } from 'vitest';
import { runCli } from '../../packages/cli/src/cli.js';
import type { App } from '../../packages/core/src/app/app.js';

/** Runs `strom <argv>` in this process and returns its exit code and what it printed. */
export async function captureCli(
  argv: string[],
  app?: App,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const printed = { stdout: '', stderr: '' };
  const spies = (['stdout', 'stderr'] as const).map((stream) =>
    vi.spyOn(process[stream], 'write').mockImplementation((chunk) => {
      printed[stream] += String(chunk);
      return true;
    }),
  );
  try {
    const code = await runCli(argv, app ? { app } : {});
    return { code, ...printed };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}
