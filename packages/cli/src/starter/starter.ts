import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/**
 * The files of a new project, kept as real files in packages/cli/starter/ so the workspace
 * type-checks, lints and tests them. The path is the same from src/starter/ and dist/starter/.
 */
const STARTER_DIR = new URL('../../starter/', import.meta.url);

/** npm leaves `.gitignore` out of packages, so the starter keeps it under another name. */
const RENAMED: Record<string, string> = { gitignore: '.gitignore' };

/**
 * Tools the starter's scripts use, at the versions the Strom workspace builds and tests with
 * (a unit test keeps them equal to the workspace's). tsx is named even though @strom/cli depends
 * on it: `npx tsx app.ts` must not rely on how a package manager lays out node_modules.
 */
export const STARTER_DEV_DEPENDENCIES = {
  '@types/node': '^20.19.0',
  tsx: '4.23.15',
  typescript: '5.9.3',
  vitest: '4.1.12',
} as const;

export interface StarterOptions {
  /** Where to write the project; created if missing, refused if it holds anything. */
  directory: string;
  versions: { core: string; cli: string };
  /** A folder holding strom-core-<version>.tgz and strom-cli-<version>.tgz (from `pnpm pack`). */
  fromTarballs?: string;
}

/** An npm package name from a folder name: `My App` becomes `my-app`. */
export function packageName(directory: string): string {
  const name = basename(resolve(directory))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|-+$/g, '');
  return name || 'strom-app';
}

/** Where the two Strom packages come from: registry versions, or `file:` tarballs. */
function stromDependencies(options: StarterOptions): Record<string, string> {
  const { core, cli } = options.versions;
  if (options.fromTarballs === undefined) return { '@strom/cli': cli, '@strom/core': core };
  const dir = resolve(options.fromTarballs);
  const tarball = (file: string) => {
    const path = join(dir, file);
    if (!existsSync(path))
      throw new UsageError(
        `--from-tarballs ${options.fromTarballs}: no ${file} there (make it with pnpm pack in packages/${file.split('-')[1]})`,
      );
    return `file:${path}`;
  };
  return { '@strom/cli': tarball(`strom-cli-${cli}.tgz`), '@strom/core': tarball(`strom-core-${core}.tgz`) };
}

function manifest(options: StarterOptions): string {
  const pkg = {
    name: packageName(options.directory),
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=20.19' },
    scripts: { worker: 'strom worker -A app.ts', test: 'vitest run', typecheck: 'tsc' },
    dependencies: stromDependencies(options),
    devDependencies: STARTER_DEV_DEPENDENCIES,
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** Writes a first app, its unit test, a package.json, a tsconfig and a README; returns the file names. */
export async function writeStarter(options: StarterOptions): Promise<string[]> {
  const dir = resolve(options.directory);
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new UsageError(`${options.directory} is not empty: give a new or empty directory`);
  const files = new Map<string, string>([['package.json', manifest(options)]]);
  for (const file of readdirSync(STARTER_DIR)) {
    const text = readFileSync(new URL(file, STARTER_DIR), 'utf8');
    files.set(RENAMED[file] ?? file, text.replaceAll('{{name}}', packageName(options.directory)));
  }
  await mkdir(dir, { recursive: true });
  for (const [file, text] of files) await writeFile(join(dir, file), text, { flag: 'wx' });
  return [...files.keys()];
}
