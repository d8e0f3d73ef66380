import { readFile } from 'node:fs/promises';
import type { App, Codec, Topic } from '@strom/core';
import type { Argv, CommandModule } from 'yargs';
import type { CommandContext, GlobalArgs } from '../context.js';
import { UsageError } from '../errors.js';

interface SendArgs extends GlobalArgs {
  topic: string;
  value?: string;
  key?: string;
  file?: string;
}

/** A JSON topic gets JSON (a bare word is sent as a JSON string); others get the text as typed. */
function parseFor(codec: Codec, text: string): unknown {
  if (codec.name !== 'json') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function valuesFrom(args: SendArgs): Promise<string[]> {
  if (args.file) {
    const text = await readFile(args.file, 'utf8').catch(() => {
      throw new UsageError(`--file ${args.file}: cannot read it`);
    });
    return text.split('\n').filter((line) => line.trim().length > 0);
  }
  if (args.value === undefined)
    throw new UsageError('give a value (strom send <topic> <value>) or --file values.jsonl');
  return [args.value];
}

async function send(app: App, args: SendArgs): Promise<number> {
  const topic = app.context.named(args.topic) as Topic;
  const values = await valuesFrom(args);
  const key = args.key === undefined ? undefined : parseFor(topic.keyCodec, args.key);
  for (const text of values) await topic.send(parseFor(topic.valueCodec, text), { key });
  await app.flush();
  await app.stop();
  return values.length;
}

/** `strom send <topic> [value]`: produce records, with the app's codecs when an app is given. */
export function sendCommand(context: CommandContext): CommandModule<GlobalArgs, SendArgs> {
  return {
    command: 'send <topic> [value]',
    describe: 'send a value (or every line of --file) to a topic',
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .positional('topic', { type: 'string', demandOption: true, describe: 'topic name' })
        .positional('value', { type: 'string', describe: 'the value; JSON for JSON topics' })
        .option('key', { alias: 'k', type: 'string', describe: 'the key (JSON for JSON keys)' })
        .option('file', { alias: 'f', type: 'string', describe: 'send each non-empty line of this file' }),
    handler: async (args) => {
      const app =
        args.app || context.hasPreloadedApp ? await context.connectedApp(args) : await context.adhocApp(args);
      const count = await send(app, args);
      process.stdout.write(`sent ${count} record${count === 1 ? '' : 's'} to ${args.topic}\n`);
    },
  };
}
