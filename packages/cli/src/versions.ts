import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface Manifest {
  version: string;
}

/** The version of this @strom/cli, from its package.json (one level above src/ and dist/). */
export function cliVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Manifest;
  return manifest.version;
}

/** The version of the @strom/core this CLI runs with (the one it resolves, not the range it asks for). */
export function coreVersion(): string {
  return (createRequire(import.meta.url)('@strom/core/package.json') as Manifest).version;
}

/**
 * What `strom --version` prints: this CLI's version, the @strom/core it runs with (a second copy
 * of core in a project shows here), and Node's.
 */
export function versionText(): string {
  return `@strom/cli ${cliVersion()} (@strom/core ${coreVersion()}, node ${process.version})`;
}
