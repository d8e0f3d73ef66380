import { readFileSync } from 'node:fs';

let version: string | undefined;

/**
 * The version of this copy of @strom/core, read from its package.json on first call (the same
 * path from src/ and dist/). `strom --version` shows it next to the CLI's.
 */
export function coreVersion(): string {
  version ??= (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return version;
}
