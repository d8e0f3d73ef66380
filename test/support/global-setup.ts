/**
 * Vitest global setup: makes a Kafka broker available to every test file via
 * `process.env.KAFKA_BROKERS` (comma-separated; inherited by the test workers and by any child
 * process a test spawns).
 *
 * - `KAFKA_BROKERS` already set: use it as is (a broker you run yourself, docker/, CI service).
 * - otherwise: start the single local broker (`pnpm kafka start`; a no-op if it is already up)
 *   and stop it at teardown only if this run started it.
 *
 * The caller's `STROM_*` variables are removed first: `STROM_BROKER` would send every App the
 * tests build to another broker, and an unknown `STROM_*` variable is a ConfigError. Tests that
 * need them set them (spawnApp sets STROM_BROKER and STROM_LOG_LEVEL for its processes).
 */
import { startKafka, stopKafka } from '../../scripts/kafka/launcher.js';

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  for (const name of Object.keys(process.env)) if (name.startsWith('STROM_')) delete process.env[name];
  if (process.env.KAFKA_BROKERS) return undefined;
  const { bootstrap, startedByUs } = await startKafka({ brokers: 1 });
  process.env.KAFKA_BROKERS = bootstrap.join(',');
  return async () => {
    if (startedByUs) await stopKafka({ brokers: 1 });
  };
}
