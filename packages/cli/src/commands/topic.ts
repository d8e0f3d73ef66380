import { type App, type Codec, deadLetterTopicName, type Topic, type TopicRecord } from '@strom/core';
import { resolveCodec } from '@strom/core/cli-support';
import type { Argv, CommandModule } from 'yargs';
import type { CommandContext, GlobalArgs } from '../context.js';
import { UsageError } from '../errors.js';
import { deadLetterInfo, type RecordCodecs, recordJson, recordLine } from '../records.js';

interface TailArgs extends GlobalArgs {
  name: string;
  'from-beginning': boolean;
  dlq: boolean;
  limit?: number;
  follow: boolean;
  json: boolean;
}

/** `strom topic <command>`: commands on one topic (today: tail). */
export function topicCommand(context: CommandContext): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'topic',
    describe: 'read one topic: strom topic tail <name>',
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs.command(tailCommand(context) as never).demandCommand(1, 'name a topic command: tail'),
    handler: () => undefined,
  };
}

/**
 * The codecs to show a record with: those of the topic it came from (a dead letter keeps its
 * source record's bytes), else the app's defaults; none without an app.
 */
function codecsFor(app: App | undefined, topics: readonly Topic[]) {
  return (record: TopicRecord): RecordCodecs | undefined => {
    if (!app) return undefined;
    const name = deadLetterInfo(record)?.topic ?? record.topic;
    const topic = topics.find((t) => t.name === name);
    if (topic) return { key: topic.keyCodec, value: topic.valueCodec };
    return { key: resolveCodec(app.settings.keyCodec), value: resolveCodec(app.settings.valueCodec) };
  };
}

/** Lets codecs that need it (Avro) fetch what decoding these records takes. */
async function preload(
  records: readonly TopicRecord[],
  codecs: (record: TopicRecord) => RecordCodecs | undefined,
): Promise<void> {
  const byCodec = new Map<Codec, (Buffer | null)[]>();
  const add = (codec: Codec, bytes: Buffer | null) => {
    if (!codec.preload) return;
    const list = byCodec.get(codec) ?? [];
    list.push(bytes);
    byCodec.set(codec, list);
  };
  for (const record of records) {
    const pair = codecs(record);
    if (pair) {
      add(pair.key, record.key);
      add(pair.value, record.value);
    }
  }
  await Promise.all([...byCodec].map(([codec, bytes]) => codec.preload?.(bytes)));
}

/** `strom topic tail <name>`: print records of a topic or of its dead-letter topic. */
function tailCommand(context: CommandContext): CommandModule<GlobalArgs, TailArgs> {
  return {
    command: 'tail <name>',
    describe: "print a topic's last records (decoded with the app's codecs given -A), or its dead letters",
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .positional('name', { type: 'string', demandOption: true, describe: 'topic name' })
        .option('from-beginning', {
          type: 'boolean',
          default: false,
          describe: 'start at the first record of each partition (default: the last --limit records)',
        })
        .option('dlq', {
          type: 'boolean',
          default: false,
          describe: "read the topic's dead-letter topic, with each record's reason and source (needs -A)",
        })
        .option('limit', {
          alias: 'n',
          type: 'number',
          describe:
            'print at most this many records, then exit; without --from-beginning, the last ones (default: the last 10)',
        })
        .option('follow', {
          alias: 'f',
          type: 'boolean',
          default: false,
          describe: 'then print new records as they come, until Ctrl-C (or --limit)',
        })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object per record' })
        .check((args) => {
          if (args.limit !== undefined && !(Number.isInteger(args.limit) && args.limit > 0))
            throw new UsageError(`--limit must be a positive whole number, got ${args.limit}`);
          return true;
        }),
    handler: async (args) => {
      const withApp = Boolean(args.app) || context.hasPreloadedApp;
      if (args.dlq && !withApp) {
        throw new UsageError(
          `--dlq needs the app (-A app.ts): dead-letter topics are named after it; or tail the dead-letter topic by its name`,
        );
      }
      const app = withApp ? await context.app(args) : context.ownApp(args);
      await context.requireBroker();
      // derived topics (repartition) are declared once the agents ran on empty streams
      if (withApp) await app.discoverTopics();
      const topics = withApp ? app.topics() : [];
      const source = topics.find((t) => t.name === args.name);
      const name = args.dlq ? (source?.deadLetterTopic ?? deadLetterTopicName(app.id, args.name)) : args.name;
      const codecs = codecsFor(withApp ? app : undefined, topics);
      const format = args.json ? recordJson : recordLine;
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      let printing = Promise.resolve();
      if (args.follow) {
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      }
      try {
        const count = await app.readTopic(
          name,
          {
            from: args['from-beginning'] ? 'beginning' : 'end',
            limit: args.limit,
            follow: args.follow,
            signal: stop.signal,
          },
          (records) => {
            // schema-registry codecs fetch writers' schemas first: print in order, after that
            printing = printing.then(async () => {
              await preload(records, codecs);
              process.stdout.write(`${records.map((r) => format(r, codecs(r))).join('\n')}\n`);
            });
          },
        );
        await printing;
        if (count === 0 && !args.json) process.stderr.write(`no records in ${name}\n`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await app.stop();
      }
    },
  };
}
