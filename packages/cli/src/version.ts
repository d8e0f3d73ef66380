import { readFileSync } from 'node:fs';
import { coreVersion } from '@strom/core';

/**
 * What `strom --version` prints: the versions of this CLI and of the @strom/core it loaded (two
 * copies of core in one project show here), and Node's.
 */
export function versionText(): string {
  const cli = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return `@strom/cli ${cli.version} (@strom/core ${coreVersion()}, node ${process.version})`;
}
