/**
 * Between an App and the `strom` CLI: the apps an app file constructed (the CLI picks one), the
 * flag that keeps `app.main()` quiet while the CLI imports the file, and `app.main()` running the
 * CLI. State sits on globalThis under registered symbols, so two copies of @strom/core agree.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Set by the `strom` CLI while it imports an app file, so that file's `app.main()` does nothing. */
const CLI_LOADING = Symbol.for('strom.cli.loading');
/**
 * Every App constructed in this process, for the CLI to find the one an app file made. Kept as
 * `unknown` here so this module does not depend on app.ts (which depends on it); cli-support
 * hands them out typed.
 */
const APPS = Symbol.for('strom.apps');

type Registry = { [CLI_LOADING]?: boolean; [APPS]?: unknown[] };

export function registerApp(app: unknown): void {
  const registry = globalThis as Registry;
  (registry[APPS] ??= []).push(app);
}

export function isCliLoading(): boolean {
  return (globalThis as Registry)[CLI_LOADING] === true;
}

/** Apps constructed in this process, in order (cli-support types them). */
export function registeredApps(): readonly unknown[] {
  return (globalThis as Registry)[APPS] ?? [];
}

/** Marks that the CLI is importing an app file (its `app.main()` must not run). */
export function setCliLoading(loading: boolean): void {
  (globalThis as Registry)[CLI_LOADING] = loading;
}

/** True when the code calling `main()` is the script node was started with (or when unsure). */
export function calledFromEntryScript(): boolean {
  const entry = process.argv[1];
  if (!entry) return true;
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  // frame 0 is this function, frame 1 is App.main, frame 2 is its caller
  const caller = frames[2]?.match(/(?:file:\/\/)?(\/[^():]+):\d+:\d+\)?$/)?.[1];
  if (!caller) return true;
  const strip = (path: string) => path.replace(/\.[cm]?[jt]s$/, '');
  return strip(resolve(entry)) === strip(decodeURIComponent(caller));
}

interface CliModule {
  runCli(argv: string[], options: { app: unknown }): Promise<number>;
}

/** `app.main()`: runs the `strom` command line of @strom/cli for this app. */
export async function runCliFor(app: unknown, argv: string[]): Promise<void> {
  let cli: CliModule;
  try {
    // resolved from the app's own file: @strom/cli is the app's dependency, not core's
    const require = createRequire(pathToFileURL(process.argv[1] ?? `${process.cwd()}/`));
    cli = (await import(pathToFileURL(require.resolve('@strom/cli')).href)) as CliModule;
  } catch (error) {
    console.error(`app.main() needs @strom/cli: install it next to @strom/core (${String(error)})`);
    process.exitCode = 2;
    return;
  }
  process.exitCode = await cli.runCli(argv, { app });
}
