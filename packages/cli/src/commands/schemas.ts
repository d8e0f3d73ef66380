import {
  COMPATIBILITY_LEVELS,
  type CompatibilityLevel,
  DEFAULT_SCHEMA_REGISTRY_URL,
  SchemaRegistryClient,
} from '@strom/core';
import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../context.js';
import { UsageError } from '../errors.js';
import { table } from './agents.js';

interface SchemasArgs extends GlobalArgs {
  registry?: string;
  subject?: string;
  compatibility?: string;
  show?: boolean;
}

function level(value: string): CompatibilityLevel {
  const upper = value.toUpperCase();
  const found = COMPATIBILITY_LEVELS.find((l) => l === upper);
  if (!found)
    throw new UsageError(`--compatibility must be one of ${COMPATIBILITY_LEVELS.join(', ')}, got '${value}'`);
  return found;
}

/**
 * `strom schemas`: the schema registry's subjects with their versions, latest schema id and
 * compatibility; `--compatibility LEVEL` sets it (for `--subject`, or the registry's default);
 * `--subject S --show` prints the latest schema.
 */
export function schemasCommand(): CommandModule<GlobalArgs, SchemasArgs> {
  return {
    command: 'schemas',
    describe: "list the schema registry's subjects, versions and compatibility; set compatibility",
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .option('registry', {
          type: 'string',
          describe: `schema registry API URL (default: $SCHEMA_REGISTRY_URL, else ${DEFAULT_SCHEMA_REGISTRY_URL})`,
        })
        .option('subject', { alias: 's', type: 'string', describe: 'one subject, e.g. rides-value' })
        .option('compatibility', {
          type: 'string',
          describe: `set the compatibility level: ${COMPATIBILITY_LEVELS.join(', ')}`,
        })
        .option('show', { type: 'boolean', describe: "with --subject: print the subject's latest schema" }),
    handler: async (args) => {
      const url = args.registry ?? process.env.SCHEMA_REGISTRY_URL ?? DEFAULT_SCHEMA_REGISTRY_URL;
      const registry = new SchemaRegistryClient({ url });
      if (args.show) {
        if (!args.subject) throw new UsageError('--show goes with --subject');
        const latest = await registry.version(args.subject, 'latest');
        process.stdout.write(`${JSON.stringify(JSON.parse(latest.schema), null, 2)}\n`);
        return;
      }
      if (args.compatibility !== undefined) {
        const wanted = level(args.compatibility);
        await registry.setCompatibility(wanted, args.subject);
        process.stdout.write(`${args.subject ?? 'default'} compatibility: ${wanted}\n`);
        return;
      }
      const subjects = args.subject ? [args.subject] : await registry.subjects();
      const rows = await Promise.all(
        subjects.map(async (subject) => {
          const [versions, latest, compatibility] = await Promise.all([
            registry.versions(subject),
            registry.version(subject, 'latest'),
            registry.compatibility(subject),
          ]);
          return [subject, versions.join(','), String(latest.id), compatibility];
        }),
      );
      process.stdout.write(`registry ${url}: default compatibility ${await registry.compatibility()}\n`);
      process.stdout.write(table(['subject', 'versions', 'latest id', 'compatibility'], rows));
    },
  };
}
