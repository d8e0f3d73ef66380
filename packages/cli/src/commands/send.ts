import { readFile } from 'node:fs/promises';
import type { App, Codec, Topic } from '@strom/core';
import type { Argv, CommandModule } from 'yargs';
import type { CommandContext, GlobalArgs } from '../context.js';
import { checkKeyFields, parseRecordKey } from '../csv/key.js';
import { CsvRecordReader } from '../csv/reader.js';
import { UsageError } from '../errors.js';

interface SendArgs extends GlobalArgs {
  topic: string;
  value?: string;
  key?: string;
  file?: string;
  csv?: string;
  map?: string[];
  rate?: number;
  limit?: number;
}

/** A record to send: the value and key as the topic's codecs take them. */
interface Outgoing {
  value: unknown;
  key: unknown;
}

/** What to send, and the lines to print once it is sent. */
interface Source {
  records: AsyncIterable<Outgoing>;
  report(sent: number): string[];
}

/** A JSON or Avro topic gets JSON (a bare word is sent as a JSON string); others get the text as typed. */
function parseFor(codec: Codec, text: string): unknown {
  if (codec.name !== 'json' && codec.name !== 'avro') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `['vendorId=vendor', 'PULocationID=pickup_zone']` -> `{ vendorId: 'vendor', ... }`. */
function parseMap(entries: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at <= 0 || at === entry.length - 1) throw new UsageError(`--map ${entry}: write field=column`);
    map[entry.slice(0, at).trim()] = entry.slice(at + 1).trim();
  }
  return map;
}

/** `--csv`: one record per row, typed and keyed from the topic's schema; the header checked first. */
async function csvSource(topic: Topic, args: SendArgs & { csv: string }): Promise<Source> {
  const reader = new CsvRecordReader({
    schema: topic.valueSchema,
    map: parseMap(args.map ?? []),
    limit: args.limit,
  });
  const key = args.key === undefined ? undefined : parseRecordKey(args.key);
  const rows = reader.readFile(args.csv);
  const first = await rows.next(); // reads the header: a missing column fails before Kafka is involved
  if (key) checkKeyFields(key, reader.fieldNames ?? []);
  const keyOf = key ? key.of : () => undefined;
  async function* records(): AsyncGenerator<Outgoing> {
    if (first.done) return;
    yield { value: first.value, key: keyOf(first.value) };
    for await (const row of rows) yield { value: row, key: keyOf(row) };
  }
  return {
    records: records(),
    report: (sent) => {
      const { rows: read, rowsWithEmptyRequired, emptyRequired } = reader.summary;
      const lines = [
        `read ${plural(read, 'row')} from ${args.csv}; sent ${plural(sent, 'record')} to ${topic}`,
      ];
      if (rowsWithEmptyRequired > 0) {
        const fields = Object.entries(emptyRequired).map(([field, n]) => `${field} ${n}`);
        lines.push(
          `${plural(rowsWithEmptyRequired, 'row')} with empty required fields (${fields.join(', ')}): ` +
            'sent as they are; a worker sends them to the dead-letter topic',
        );
      }
      return lines;
    },
  };
}

/** A value, or each non-empty line of --file. */
async function textSource(topic: Topic, args: SendArgs): Promise<Source> {
  let lines: string[];
  if (args.file) {
    const text = await readFile(args.file, 'utf8').catch(() => {
      throw new UsageError(`--file ${args.file}: cannot read it`);
    });
    lines = text.split('\n').filter((line) => line.trim().length > 0);
  } else if (args.value !== undefined) {
    lines = [args.value];
  } else {
    throw new UsageError('give a value (strom send <topic> <value>), --file values.jsonl or --csv rides.csv');
  }
  lines = lines.slice(0, args.limit);
  const key = args.key === undefined ? undefined : parseFor(topic.keyCodec, args.key);
  async function* records(): AsyncGenerator<Outgoing> {
    for (const line of lines) yield { value: parseFor(topic.valueCodec, line), key };
  }
  return { records: records(), report: (sent) => [`sent ${plural(sent, 'record')} to ${topic}`] };
}

/** Sends every record, at most `rate` a second; returns how many. */
async function send(
  app: App,
  topic: Topic,
  records: AsyncIterable<Outgoing>,
  rate?: number,
): Promise<number> {
  const started = Date.now();
  let sent = 0;
  for await (const { value, key } of records) {
    if (rate !== undefined) {
      const waitMs = started + (sent * 1000) / rate - Date.now();
      if (waitMs > 0) {
        await app.flush(); // what is due leaves now, not when the batch fills
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
    await topic.send(value, { key });
    sent += 1;
  }
  await app.flush();
  return sent;
}

function positive(name: string) {
  return (n: number | undefined) => {
    if (n !== undefined && !(n > 0)) throw new UsageError(`--${name} must be a positive number`);
    return n;
  };
}

/** `strom send <topic> [value]`: produce records, with the app's codecs when an app is given. */
export function sendCommand(context: CommandContext): CommandModule<GlobalArgs, SendArgs> {
  return {
    command: 'send <topic> [value]',
    describe: 'send a value, every line of --file, or every row of --csv to a topic',
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .positional('topic', { type: 'string', demandOption: true, describe: 'topic name' })
        .positional('value', { type: 'string', describe: 'the value; JSON for JSON topics' })
        .option('key', {
          alias: 'k',
          type: 'string',
          describe:
            'the key (JSON for JSON keys); with --csv, the key field (vendorId) or fields ({vendorId})',
        })
        .option('file', { alias: 'f', type: 'string', describe: 'send each non-empty line of this file' })
        .option('csv', {
          type: 'string',
          describe: "send each row of this CSV file as a record with the fields of the topic's schema",
        })
        .option('map', {
          type: 'string',
          array: true,
          describe: 'with --csv: field=column, for a column the header names differently (repeatable)',
        })
        .option('rate', { type: 'number', describe: 'records per second, at most', coerce: positive('rate') })
        .option('limit', {
          type: 'number',
          describe: 'send the first N records only',
          coerce: positive('limit'),
        })
        .conflicts('csv', ['file', 'value'])
        .conflicts('file', 'value'),
    handler: async (args) => {
      if (args.map && !args.csv) throw new UsageError('--map goes with --csv');
      const app = args.app || context.hasPreloadedApp ? await context.app(args) : context.ownApp(args);
      try {
        const topic = app.context.named(args.topic) as Topic;
        const { csv } = args;
        const source =
          csv === undefined ? await textSource(topic, args) : await csvSource(topic, { ...args, csv });
        await context.requireBroker();
        const sent = await send(app, topic, source.records, args.rate);
        process.stdout.write(`${source.report(sent).join('\n')}\n`);
      } finally {
        await app.stop();
      }
    },
  };
}
