import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { runCli } from '../cli.js';
import { UsageError } from '../errors.js';
import { cliVersion, coreVersion } from '../versions.js';
import { packageName, STARTER_DEV_DEPENDENCIES, writeStarter } from './starter.js';

const ROOT = new URL('../../../../', import.meta.url);
const readJson = <T = unknown>(path: string | URL): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const versions = { core: '1.2.3', cli: '1.2.4' };

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'strom-starter-'));
});
afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

test('writes the first app, its test, a tsconfig, a README and a package.json', async () => {
  const dir = join(scratch, 'My Rides');
  const files = await writeStarter({ directory: dir, versions });

  expect(files.sort()).toEqual(
    ['.gitignore', 'README.md', 'app.test.ts', 'app.ts', 'package.json', 'tsconfig.json'].sort(),
  );
  expect(readdirSync(dir).sort()).toEqual(files);
  const pkg = readJson(join(dir, 'package.json'));
  expect(pkg).toMatchObject({
    name: 'my-rides',
    type: 'module',
    dependencies: { '@strom/core': '1.2.3', '@strom/cli': '1.2.4' },
    devDependencies: STARTER_DEV_DEPENDENCIES,
  });
  expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/^# my-rides\n/);
  expect(readFileSync(join(dir, 'app.ts'), 'utf8')).toContain("app.table<number, number>('vendor_rides'");
});

test('refuses a directory that holds anything, and writes nothing there', async () => {
  writeFileSync(join(scratch, 'notes.txt'), 'mine');
  await expect(writeStarter({ directory: scratch, versions })).rejects.toThrow(UsageError);
  await expect(writeStarter({ directory: scratch, versions })).rejects.toThrow(/is not empty/);
  expect(readdirSync(scratch)).toEqual(['notes.txt']);
});

test('an empty existing directory is fine', async () => {
  await writeStarter({ directory: scratch, versions });
  expect(existsSync(join(scratch, 'app.ts'))).toBe(true);
});

test('--from-tarballs depends on the tarballs of the running versions', async () => {
  const tarballs = join(scratch, 'tarballs');
  mkdirSync(tarballs);
  writeFileSync(join(tarballs, 'strom-core-1.2.3.tgz'), '');
  const dir = join(scratch, 'app');

  await expect(writeStarter({ directory: dir, versions, fromTarballs: tarballs })).rejects.toThrow(
    /no strom-cli-1\.2\.4\.tgz there/,
  );
  expect(existsSync(dir)).toBe(false);

  writeFileSync(join(tarballs, 'strom-cli-1.2.4.tgz'), '');
  await writeStarter({ directory: dir, versions, fromTarballs: tarballs });
  expect(readJson(join(dir, 'package.json'))).toMatchObject({
    dependencies: {
      '@strom/core': `file:${join(tarballs, 'strom-core-1.2.3.tgz')}`,
      '@strom/cli': `file:${join(tarballs, 'strom-cli-1.2.4.tgz')}`,
    },
  });
});

test('package names are valid npm names', () => {
  expect(packageName('/tmp/My App!')).toBe('my-app');
  expect(packageName('.hidden')).toBe('hidden');
  expect(packageName('___')).toBe('strom-app');
});

test("the starter's app is the README's first app", () => {
  const readme = readFileSync(new URL('README.md', ROOT), 'utf8');
  const section = readme.slice(readme.indexOf('## A first app'));
  const snippet = /```ts\n([\s\S]*?)```\n/.exec(section)?.[1];
  expect(snippet).toBe(readFileSync(new URL('../../starter/app.ts', import.meta.url), 'utf8'));
});

test("the starter's tools are the versions Strom is built and tested with", () => {
  const root = readJson<{ devDependencies: Record<string, string> }>(new URL('package.json', ROOT));
  const cli = readJson<{ dependencies: Record<string, string> }>(
    new URL('../../package.json', import.meta.url),
  );
  for (const [name, version] of Object.entries(STARTER_DEV_DEPENDENCIES))
    expect(`${name}@${version}`).toBe(`${name}@${root.devDependencies[name]}`);
  expect(STARTER_DEV_DEPENDENCIES.tsx).toBe(cli.dependencies.tsx);
});

test('strom new: exit 0 with the running versions, exit 2 on a non-empty directory', async () => {
  const out = vi.spyOn(process.stdout, 'write').mockReturnValue(true);
  const err = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
  try {
    const dir = join(scratch, 'rides');
    expect(await runCli(['new', dir])).toBe(0);
    expect(readJson(join(dir, 'package.json'))).toMatchObject({
      dependencies: { '@strom/core': coreVersion(), '@strom/cli': cliVersion() },
    });
    expect(out.mock.calls.join('')).toContain(`cd ${dir}`);

    expect(await runCli(['new', dir])).toBe(2);
    expect(err.mock.calls.join('')).toContain(`strom: ${dir} is not empty`);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
});
