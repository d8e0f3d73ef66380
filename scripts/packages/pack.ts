/**
 * Packs @strom/core and @strom/cli the way they would be published: `pnpm pack` builds them
 * (prepack), applies publishConfig and rewrites `workspace:*` to the version.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StepError, type Steps } from './steps.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Tarballs {
  core: string;
  cli: string;
}

/** The tarball pnpm writes for packages/<dir>: strom-<dir>-<version>.tgz. */
function tarballName(dir: keyof Tarballs): string {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8')) as {
    version: string;
  };
  return `strom-${dir}-${manifest.version}.tgz`;
}

/** Packs both packages into `destination` and returns the paths of the tarballs. */
export async function packPackages(steps: Steps, destination: string): Promise<Tarballs> {
  const tarballs = { core: '', cli: '' };
  for (const dir of ['core', 'cli'] as const) {
    await steps.run(`pnpm pack (packages/${dir})`, 'pnpm', ['pack', '--pack-destination', destination], {
      cwd: join(ROOT, 'packages', dir),
      timeoutMs: 120_000,
    });
    tarballs[dir] = join(destination, tarballName(dir));
    if (!existsSync(tarballs[dir])) throw new StepError(`pnpm pack (packages/${dir}): no ${tarballs[dir]}`);
  }
  return tarballs;
}
