import { z } from 'zod';
import type { CodecSpec } from '../codecs/codecs.js';
import { closestName } from '../errors/closest-name.js';
import { ConfigError } from '../errors/errors.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type Logger, type LogLevel } from '../logging/logger.js';
import type { ConnectionOptions } from '../transport/types.js';

const codecSpec = z.custom<CodecSpec>(
  (v) =>
    v === 'json' || v === 'string' || v === 'raw' || (typeof v === 'object' && v !== null && 'decode' in v),
  { message: 'a codec is "json", "string", "raw" or an object with encode/decode' },
);

/**
 * Every App setting, its default and what it means: the single source for docs and checks.
 * Durations are milliseconds (`...Ms`).
 */
export const appSettingsSchema = z
  .object({
    id: z
      .string()
      .regex(
        /^[A-Za-z0-9._-]+$/,
        'use letters, digits, ".", "_" and "-" (it names topics and the consumer group)',
      )
      .describe('Application id: the consumer group, and the prefix of internal topics.'),
    broker: z
      .union([z.string(), z.array(z.string())])
      .default('localhost:9092')
      .describe('Bootstrap brokers: "host:port", a list, or "kafka://h1:9092;kafka://h2:9092" as in Faust.'),
    kafka: z
      .custom<ConnectionOptions>((v) => typeof v === 'object' && v !== null)
      .default({})
      .describe(
        'Kafka client options passed through: ssl, sasl, clientId, connectionTimeout, requestTimeout, retry.',
      ),
    topicPartitions: z.number().int().positive().default(8).describe('Partitions of topics Strom creates.'),
    topicReplicationFactor: z
      .number()
      .int()
      .positive()
      .default(1)
      .describe('Replication factor of topics Strom creates.'),
    store: z
      .enum(['memory', 'rocksdb', 'memory://', 'rocksdb://'])
      .default('memory')
      .transform((s) => s.replace('://', '') as 'memory' | 'rocksdb')
      .describe(
        'Default store of tables: "memory" (rebuilt from the changelog on start) or "rocksdb" (on disk, checkpointed).',
      ),
    standbys: z
      .number()
      .int()
      .min(0)
      .default(1)
      .describe(
        'Standby copies of each table partition kept by other workers, promoted on failover (as Faust).',
      ),
    stateDir: z
      .string()
      .default('.strom-data')
      .describe('Directory of on-disk table state; each app uses <stateDir>/<appId>/.'),
    keyCodec: codecSpec.default('json').describe('Default key codec of topics.'),
    valueCodec: codecSpec.default('json').describe('Default value codec of topics.'),
    autoOffsetReset: z
      .enum(['earliest', 'latest'])
      .default('earliest')
      .describe('Where a new consumer group starts reading.'),
    sessionTimeoutMs: z
      .number()
      .int()
      .min(1000)
      .default(10_000)
      .describe('Consumer group session timeout: how fast a dead worker is noticed.'),
    heartbeatIntervalMs: z.number().int().positive().default(3000).describe('Consumer heartbeat interval.'),
    maxBytesPerPartition: z
      .number()
      .int()
      .positive()
      .default(1_048_576)
      .describe('Most bytes fetched per partition and request: the size of a batch.'),
    commitIntervalMs: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe(
        'Offsets are committed after every batch, and every commitIntervalMs inside a long batch: what a crash may redo.',
      ),
    offsetCommit: z
      .enum(['pipelined', 'every-batch', 'interval'])
      .default('pipelined')
      .describe(
        'When offsets are committed (at least once). pipelined: after every fetched batch, while the next fetch goes on (one commit in flight; the next one carries what finished meanwhile): p50 ~3 ms through a groupBy at a low rate. every-batch: after every batch, and the next fetch waits for the commit (p50 ~70 ms). interval: every commitIntervalMs. All three commit before a rebalance and on stop; a crash redoes what finished since the last commit.',
      ),
    repartitionPurgeIntervalMs: z
      .number()
      .int()
      .positive()
      .default(30_000)
      .describe(
        'How often a worker deletes the records of its repartition topics that were consumed and committed (they have no time retention).',
      ),
    fetchMaxWaitMs: z
      .number()
      .int()
      .positive()
      .default(500)
      .describe(
        'How long a fetch may wait on the broker for new records; also bounds how long a stop waits.',
      ),
    partitionsConsumedConcurrently: z
      .number()
      .int()
      .positive()
      .default(4)
      .describe('Partitions whose batches are handed to agents at the same time.'),
    producerLingerMs: z
      .number()
      .int()
      .min(0)
      .default(5)
      .describe('How long a sent record waits for company.'),
    producerMaxBatchRecords: z
      .number()
      .int()
      .positive()
      .default(2000)
      .describe('Records per produce request, at most.'),
    producerMaxRequestBytes: z
      .number()
      .int()
      .min(1024)
      .default(1_000_000)
      .describe(
        "Bytes per produce request, at most (a larger record goes alone); keep it under the topics' max.message.bytes.",
      ),
    producerMaxInflightRecords: z
      .number()
      .int()
      .positive()
      .default(200_000)
      .describe('Unacknowledged records above which send() waits (backpressure).'),
    tableChangelog: z
      .enum(['every-update', 'per-commit'])
      .optional()
      .describe(
        "per-commit: one changelog record per changed key per commit (Kafka Streams' record cache). every-update: a record per table write (as Faust). Default: per-commit at least once, every-update exactly once (docs/decisions/0011).",
      ),
    processingGuarantee: z
      .enum(['at_least_once', 'exactly_once'])
      .default('at_least_once')
      .describe(
        'at_least_once: after a crash, events since the last commit run again. exactly_once: outputs, changelogs and offsets commit in one transaction per input partition (docs/guide.md, Processing guarantees).',
      ),
    acks: z
      .union([z.literal(-1), z.literal(0), z.literal(1)])
      .default(-1)
      .describe('Producer acks: -1 waits for all in-sync replicas.'),
    shutdownTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(4000)
      .describe(
        'On SIGTERM, how long in-flight events may take before the worker commits what finished and leaves.',
      ),
    web: z
      .boolean()
      .default(false)
      .describe(
        'Serve /health, /ready, /metrics and table queries over HTTP from every worker (docs/web.md). Off by default: several workers on one host would need a port each.',
      ),
    webPort: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .default(6066)
      .describe(
        "The worker's web server port (0: any free port); with several worker processes, process i serves on webPort + i.",
      ),
    webHost: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe(
        'The address the web server binds: 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).',
      ),
    webUrl: z
      .string()
      .url()
      .optional()
      .describe(
        'The URL other workers reach this one at, for forwarded table queries; default http://webHost:webPort.',
      ),
    workerProcesses: z
      .union([z.number().int().positive(), z.literal('auto')])
      .default(1)
      .describe(
        '`strom worker` runs this many worker processes of the app, supervised by one parent ("auto": one per CPU core); `--processes` overrides it.',
      ),
    logLevel: z
      .enum(LOG_LEVELS as [LogLevel, ...LogLevel[]])
      .optional()
      .describe('Log level; default STROM_LOG_LEVEL or "info".'),
    logFormat: z
      .enum(LOG_FORMATS as [LogFormat, ...LogFormat[]])
      .default('auto')
      .describe(
        'Log lines: "json" (one object a line), "pretty" (time, level, message, key=value) or "auto" (pretty on a terminal, else JSON).',
      ),
    logger: z
      .custom<Logger>((v) => typeof v === 'object' && v !== null && 'child' in v)
      .optional()
      .describe('A pino logger to use instead of Strom creating one.'),
  })
  .superRefine((s, ctx) => {
    if (s.heartbeatIntervalMs >= s.sessionTimeoutMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['heartbeatIntervalMs'],
        message: 'heartbeatIntervalMs must be below sessionTimeoutMs (about a third of it)',
      });
    }
  });

/** What users write: every field but `id` optional. */
export type AppOptions = z.input<typeof appSettingsSchema>;
/** What Strom reads: defaults applied. */
export type AppSettings = z.output<typeof appSettingsSchema> & { brokers: string[] };

/** `kafka://h1:9092;kafka://h2:9092`, `h1:9092,h2:9092` or a list -> `['h1:9092', 'h2:9092']`. */
export function parseBrokers(broker: string | string[]): string[] {
  const parts = (Array.isArray(broker) ? broker : broker.split(/[;,]/))
    .map((b) => b.trim().replace(/^kafka:\/\//, ''))
    .filter((b) => b.length > 0);
  for (const b of parts) {
    if (!/^[^:\s]+:\d+$/.test(b))
      throw new ConfigError(`broker "${b}" is not host:port (e.g. localhost:9092)`);
  }
  if (parts.length === 0) throw new ConfigError('broker is empty: give host:port, e.g. localhost:9092');
  return parts;
}

/** The names of every App setting, in schema order. */
export const SETTING_NAMES = Object.keys(appSettingsSchema.shape) as ReadonlyArray<keyof AppOptions>;

/**
 * Names other frameworks use for our settings (Kafka clients and Streams, Faust), for the "did
 * you mean" of an unknown setting. Names equal to ours up to case and separators
 * (`session.timeout.ms`, `topic_partitions`) need no entry.
 */
const SETTING_ALIASES: Readonly<Record<string, keyof AppOptions>> = {
  'bootstrap.servers': 'broker',
  'application.id': 'id',
  'group.id': 'id',
  appId: 'id',
  'num.partitions': 'topicPartitions',
  partitions: 'topicPartitions',
  'replication.factor': 'topicReplicationFactor',
  'num.standby.replicas': 'standbys',
  table_standby_replicas: 'standbys',
  datadir: 'stateDir',
  'max.partition.fetch.bytes': 'maxBytesPerPartition',
  'linger.ms': 'producerLingerMs',
  broker_session_timeout: 'sessionTimeoutMs',
  broker_heartbeat_interval: 'heartbeatIntervalMs',
  broker_commit_interval: 'commitIntervalMs',
  consumer_auto_offset_reset: 'autoOffsetReset',
  key_serializer: 'keyCodec',
  value_serializer: 'valueCodec',
};

/** The environment variables that set App settings; other `STROM_*` variables are errors. */
export const SETTINGS_FROM_ENV = {
  STROM_BROKER: 'broker',
  STROM_LOG_LEVEL: 'logLevel',
} as const satisfies Record<string, keyof AppOptions>;

/** `unknown setting "x": did you mean "y"?`, or the list of settings when none is close. */
function unknownSetting(name: string): string {
  const closest = closestName(name, SETTING_NAMES, SETTING_ALIASES);
  return closest
    ? `unknown setting "${name}": did you mean "${closest}"?`
    : `unknown setting "${name}": the settings are ${SETTING_NAMES.join(', ')}`;
}

/** `STROM_BROKERS` -> `STROM_BROKER`; `STROM_SESSION_TIMEOUT_MS` -> set sessionTimeoutMs in code. */
function unknownVariable(name: string): string {
  const variables = Object.keys(SETTINGS_FROM_ENV);
  const closest = closestName(name, variables);
  if (closest) return `unknown environment variable ${name}: did you mean ${closest}?`;
  const setting = closestName(name.replace(/^STROM_/, ''), SETTING_NAMES, SETTING_ALIASES);
  const only = `only ${variables.join(' and ')} set App settings`;
  return setting
    ? `unknown environment variable ${name}: ${only}; set "${setting}" in new App({ ... })`
    : `unknown environment variable ${name}: ${only}`;
}

/**
 * Unknown keys in `options` and unknown `STROM_*` variables: a typo would otherwise leave a
 * default the user did not choose, without a word.
 */
function checkNames(options: object, env: NodeJS.ProcessEnv): void {
  const known = new Set<string>(SETTING_NAMES);
  const problems = Object.keys(options)
    .filter((key) => !known.has(key))
    .map(unknownSetting);
  for (const name of Object.keys(env))
    if (name.startsWith('STROM_') && !(name in SETTINGS_FROM_ENV)) problems.push(unknownVariable(name));
  const level = env.STROM_LOG_LEVEL;
  if (level !== undefined && level !== '' && !(LOG_LEVELS as readonly string[]).includes(level))
    problems.push(`STROM_LOG_LEVEL "${level}" is not a log level: use ${LOG_LEVELS.join(', ')}`);
  if (problems.length > 0) throw new ConfigError(problems.join('; '));
}

/**
 * Applies defaults and checks. `STROM_BROKER`, when set, replaces the broker the code names:
 * where a worker runs decides which cluster it talks to (the CLI's --broker sets it).
 */
export function resolveSettings(options: AppOptions): AppSettings {
  checkNames(options, process.env);
  const brokerOverride = process.env.STROM_BROKER;
  const result = appSettingsSchema.safeParse(
    brokerOverride ? { ...options, broker: brokerOverride } : options,
  );
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'options';
    throw new ConfigError(`App ${where}: ${issue.message}`);
  }
  return { ...result.data, brokers: parseBrokers(result.data.broker) };
}
