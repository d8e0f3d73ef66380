/**
 * Vitest global setup: makes a schema registry available via `process.env.SCHEMA_REGISTRY_URL`
 * (inherited by test workers and spawned worker processes), like global-setup.ts does for the
 * broker: a set `SCHEMA_REGISTRY_URL` is used as is; otherwise `pnpm registry start` (Apicurio
 * Registry; a no-op when one answers on `REGISTRY_PORT`), stopped at teardown only if this run
 * started it. One registry serves the whole run: a start costs seconds of JVM time.
 */
import { startRegistry, stopRegistry } from '../../scripts/registry/launcher.js';

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.SCHEMA_REGISTRY_URL) return undefined;
  const { url, startedByUs } = await startRegistry();
  process.env.SCHEMA_REGISTRY_URL = url;
  return async () => {
    if (startedByUs) await stopRegistry();
  };
}
