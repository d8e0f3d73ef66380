/**
 * `pnpm check:packages`: packs @strom/core and @strom/cli as they would be published and checks
 * the tarballs with publint (package.json against the files) and Are the Types Wrong (types
 * for each entry point under node16 and bundler resolution), plus what neither tool knows:
 * no `workspace:` dependency and no `development` condition may reach a user.
 *
 * The packages are ESM only (`--profile esm-only`): Node 20.19, the oldest Node Strom supports,
 * loads them from CommonJS too, with require(esm).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packPackages, ROOT } from './pack.js';
import { StepError, Steps } from './steps.js';

interface Manifest {
  name: string;
  version: string;
  exports?: unknown;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
}

const bin = (tool: string) => join(ROOT, 'node_modules', '.bin', tool);

/** Files the code reads at run time that no entry point names (the dashboard's page). */
const RUNTIME_FILES: Readonly<Record<string, readonly string[]>> = {
  '@strom/core': ['dashboard/index.html', 'dashboard/dashboard.js', 'dashboard/dashboard.css'],
};

/** What publint and attw cannot see: workspace leftovers in the published package.json. */
function checkManifest(manifest: Manifest): void {
  for (const [name, range] of Object.entries(manifest.dependencies ?? {}))
    if (range.startsWith('workspace:'))
      throw new StepError(`${manifest.name}: dependency ${name} is still ${range} in the tarball`);
  if (JSON.stringify(manifest.exports).includes('"development"'))
    throw new StepError(`${manifest.name}: the tarball's exports still have the development condition`);
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'strom-check-packages-'));
  const steps = new Steps(join(work, 'check-packages.log'));
  try {
    const tarballs = await packPackages(steps, work);
    for (const tarball of [tarballs.core, tarballs.cli]) {
      const manifest = JSON.parse(
        await steps.run('read package.json', 'tar', ['-xzOf', tarball, 'package/package.json'], {
          cwd: work,
        }),
      ) as Manifest;
      checkManifest(manifest);
      const files = (await steps.run('list', 'tar', ['-tzvf', tarball], { cwd: work })).trim().split('\n');
      for (const path of Object.values(manifest.bin ?? {})) {
        const entry = files.find((l) => l.endsWith(` package/${path.replace(/^\.\//, '')}`));
        if (!entry?.startsWith('-rwx'))
          throw new StepError(`${manifest.name}: bin ${path} is missing or not executable`);
      }
      for (const path of RUNTIME_FILES[manifest.name] ?? [])
        if (!files.some((l) => l.endsWith(` package/${path}`)))
          throw new StepError(`${manifest.name}: ${path} is missing from the tarball (package.json "files")`);
      await steps.run(`publint ${manifest.name}`, bin('publint'), ['run', '--strict', tarball], {
        cwd: work,
      });
      await steps.run(
        `attw ${manifest.name}`,
        bin('attw'),
        ['--profile', 'esm-only', '--no-color', tarball],
        {
          cwd: work,
        },
      );
      const kB = Math.round(statSync(tarball).size / 1024);
      process.stdout.write(
        `${manifest.name}@${manifest.version}: publint ok, attw ok (esm-only), ${files.length} files, ${kB} kB\n`,
      );
    }
    rmSync(work, { recursive: true, force: true });
  } catch (error) {
    if (!(error instanceof StepError)) throw error;
    // publint and attw explain their findings over several lines: show them whole
    if (/^(publint|attw) /.test(error.message)) process.stderr.write(error.output);
    process.stderr.write(`check:packages: ${error.message} (log: ${join(work, 'check-packages.log')})\n`);
    process.exitCode = 1;
  }
}

await main();
