/**
 * pnpm registry start|stop|status
 *
 *   start    start Apicurio Registry (fetched once into .registry/) on 127.0.0.1:$REGISTRY_PORT (8081) unless one
 *            answers there; returns when it answers; prints SCHEMA_REGISTRY_URL=... on stdout.
 *   stop     stop the one this checkout started and wait until it is gone (no-op if none).
 *   status   exit 0 only if a registry answers on the port.
 *
 * Environment: REGISTRY_PORT (8081), REGISTRY_STATE_DIR (.registry), REGISTRY_JAVA_HOME (a Java 21+;
 * else JAVA_HOME if 21+, else the newest under /usr/lib/jvm), REGISTRY_START_TIMEOUT_MS (120000),
 * REGISTRY_STOP_TIMEOUT_MS (15000).
 */
import { registryAnswers, registryUrl, startRegistry, stopRegistry } from './launcher.js';

const USAGE = 'usage: pnpm registry start|stop|status';

async function main(): Promise<void> {
  const [command, ...extra] = process.argv.slice(2);
  if (extra.length > 0 || (command !== 'start' && command !== 'stop' && command !== 'status')) {
    process.stderr.write(
      `registry: ${command ? `unknown command '${command}'` : 'missing command'}; ${USAGE}\n`,
    );
    process.exit(2);
  }
  if (command === 'start') {
    const { url } = await startRegistry();
    process.stdout.write(`SCHEMA_REGISTRY_URL=${url}\n`);
  } else if (command === 'stop') {
    await stopRegistry();
  } else {
    const url = registryUrl();
    const up = await registryAnswers(url);
    process.stdout.write(`registry: ${up ? 'up' : 'down'} at ${url}\n`);
    if (!up) process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`registry: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
