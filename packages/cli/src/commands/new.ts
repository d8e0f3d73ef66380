import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../context.js';
import { writeStarter } from '../starter/starter.js';
import { cliVersion, coreVersion } from '../versions.js';

interface NewArgs extends GlobalArgs {
  directory: string;
  fromTarballs?: string;
}

/** `strom new <directory>`: a project with a first app, its test and a README, ready for npm install. */
export function newCommand(): CommandModule<GlobalArgs, NewArgs> {
  return {
    command: 'new <directory>',
    describe: 'create a project with a first app, a unit test and a README',
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .positional('directory', { type: 'string', demandOption: true, describe: 'new or empty directory' })
        .option('from-tarballs', {
          type: 'string',
          describe:
            'depend on strom-core-<version>.tgz and strom-cli-<version>.tgz in this folder (pnpm pack)',
        }),
    handler: async (args) => {
      const files = await writeStarter({
        directory: args.directory,
        versions: { core: coreVersion(), cli: cliVersion() },
        fromTarballs: args.fromTarballs,
      });
      process.stdout.write(
        `created ${args.directory}: ${files.sort().join(', ')}\n\n` +
          `  cd ${args.directory}\n  npm install\n  npm test                    # no broker needed\n` +
          '  npx strom worker -A app.ts  # needs Kafka on localhost:9092 (see README.md)\n',
      );
    },
  };
}
