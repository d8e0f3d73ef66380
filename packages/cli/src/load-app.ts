import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { App } from '@strom/core';
import { constructedApps, setCliLoading } from '@strom/core/cli-support';
import { UsageError } from './errors.js';

/**
 * Imports an app file (TypeScript works: the strom bin registers tsx) and returns its App:
 * the export named `app`, else the default export, else the one App the file constructed.
 */
export async function loadApp(file: string): Promise<App> {
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`--app ${file}: no such file`);
  const before = constructedApps().length;
  setCliLoading(true);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } finally {
    setCliLoading(false);
  }
  const isApp = (v: unknown): v is App => constructedApps().includes(v as App);
  if (isApp(module.app)) return module.app;
  if (isApp(module.default)) return module.default;
  const made = constructedApps().slice(before);
  if (made.length === 1) return made[0]!;
  throw new UsageError(
    made.length === 0
      ? `--app ${file}: the file creates no App (export one as \`app\`)`
      : `--app ${file}: the file creates ${made.length} Apps; export the one to run as \`app\``,
  );
}
