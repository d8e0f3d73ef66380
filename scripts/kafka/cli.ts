/**
 * pnpm kafka start|stop|status [--brokers N]
 *
 *   start    fetch jars if missing, format fresh storage, start the broker(s), wait until a
 *            kafkajs admin client sees them; prints KAFKA_BROKERS=... on stdout. No-op if running.
 *   stop     stop every deployment (or only --brokers N). No-op if stopped; exit 0.
 *   status   print each deployment; exit 0 only if one (or the --brokers N one) is up.
 *
 * Environment: KAFKA_PORT (9092), KAFKA_VERSION (4.1.2), KAFKA_HOME, KAFKA_STATE_DIR (.kafka),
 * KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_START_TIMEOUT_MS, KAFKA_STOP_TIMEOUT_MS.
 */
import { parseArgs } from 'node:util';
import { MAX_BROKERS } from './config.js';
import { kafkaStatus, startKafka, stopKafka } from './launcher.js';

const USAGE = 'usage: pnpm kafka start|stop|status [--brokers N]';

function fail(message: string, code: number): never {
  process.stderr.write(`kafka: ${message}\n`);
  process.exit(code);
}

function parse(argv: string[]): { command: 'start' | 'stop' | 'status'; brokers: number | undefined } {
  const config = {
    args: argv,
    options: { brokers: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  } as const;
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    return fail(`${(err as Error).message.split(/\.\s/)[0]}; ${USAGE}`, 2);
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const [command, ...extra] = parsed.positionals;
  if (command !== 'start' && command !== 'stop' && command !== 'status') {
    return fail(`${command ? `unknown command '${command}'` : 'missing command'}; ${USAGE}`, 2);
  }
  if (extra.length > 0) return fail(`unexpected argument '${extra[0]}'; ${USAGE}`, 2);
  const raw = parsed.values.brokers;
  if (raw === undefined) return { command, brokers: undefined };
  const brokers = Number(raw);
  if (!/^\d+$/.test(raw) || brokers < 1 || brokers > MAX_BROKERS) {
    return fail(`--brokers must be a whole number from 1 to ${MAX_BROKERS}, got '${raw}'; ${USAGE}`, 2);
  }
  return { command, brokers };
}

async function main(): Promise<void> {
  const { command, brokers } = parse(process.argv.slice(2));
  if (command === 'start') {
    const started = await startKafka({ brokers: brokers ?? 1 });
    process.stdout.write(`KAFKA_BROKERS=${started.bootstrap.join(',')}\n`);
    return;
  }
  if (command === 'stop') {
    await stopKafka({ brokers });
    return;
  }
  const statuses = await kafkaStatus({ brokers });
  if (statuses.length === 0) process.stdout.write('kafka: nothing started under this state dir\n');
  for (const s of statuses) {
    const pids = s.nodes.map((n) => `${n.nodeId}:${n.alive ? n.pid : 'down'}`).join(' ');
    const state = s.up ? 'up' : s.nodes.some((n) => n.alive) ? 'degraded' : 'down';
    process.stdout.write(
      `${s.deployment}: ${state}, Kafka ${s.version}, ${s.liveBrokers}/${s.brokers} brokers, ` +
        `KAFKA_BROKERS=${s.bootstrap.join(',')} (pids ${pids})\n`,
    );
  }
  if (!statuses.some((s) => s.up)) process.exitCode = 1;
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err), 1));
