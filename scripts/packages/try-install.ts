/**
 * `pnpm try:install` (and CI): Strom as a user gets it, with no workspace around it.
 *
 * 1. pack @strom/core and @strom/cli (pnpm pack: built, publishConfig applied)
 * 2. `npm install` the two tarballs into an empty project in the system temp folder (npm, not
 *    pnpm: nothing may depend on workspace links); `strom --help` from node_modules/.bin
 * 3. `strom new` a project on the tarballs, `npm install` it, run its unit test and tsc
 * 4. install the package folders instead (npm links them): `strom agents` loads the first app
 * 5. run the README's first app (copied from README.md) as a worker in the empty project against
 *    the broker, send it a ride and a bad record with `strom send`, see both handled, SIGTERM: exit 0
 *
 * The broker is KAFKA_BROKERS (default 127.0.0.1:$KAFKA_PORT, else 127.0.0.1:9092). npm reuses
 * its cache (--prefer-offline). Quiet on success; on failure one line naming the step, and the
 * temp folder with every command's output is kept.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packPackages, ROOT } from './pack.js';
import { killStarted, lastLine, StepError, Steps } from './steps.js';

const DEADLINE_MS = 300_000;
const INSTALL_TIMEOUT_MS = 180_000;
const WORKER_TIMEOUT_MS = 90_000;

const brokers = process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? 9092}`;
const npmInstall = ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
const npmEnv = { npm_config_update_notifier: 'false' };

/** The ```ts block under "## A first app" in README.md: the app a new user writes first. */
function readmeFirstApp(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```\n/.exec(readme.slice(readme.indexOf('## A first app')))?.[1];
  if (code === undefined) throw new StepError('README.md: no ```ts block under "## A first app"');
  return code;
}

const emptyManifest = (name: string) =>
  `${JSON.stringify({ name, private: true, type: 'module' }, null, 2)}\n`;

async function tryInstall(steps: Steps, work: string): Promise<void> {
  // Step 1: the tarballs
  const tarballDir = join(work, 'tarballs');
  mkdirSync(tarballDir);
  const tarballs = await packPackages(steps, tarballDir);

  // Step 2: an empty project with only the two packages
  const project = join(work, 'empty-project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), emptyManifest('empty-project'));
  await steps.run('npm install of the tarballs', 'npm', [...npmInstall, tarballs.core, tarballs.cli], {
    cwd: project,
    env: npmEnv,
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
  const strom = join(project, 'node_modules', '.bin', 'strom');
  const help = await steps.run('strom --help', strom, ['--help'], { cwd: project });
  if (!help.includes('strom new')) throw new StepError('strom --help: no `new` command listed');

  // Step 3: a starter project on the tarballs, its unit test and type-check
  const starter = join(work, 'my-app');
  await steps.run('strom new', strom, ['new', starter, '--from-tarballs', tarballDir], { cwd: project });
  await steps.run('npm install of the new project', 'npm', npmInstall, {
    cwd: starter,
    env: npmEnv,
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
  await steps.run("the new project's npm test", 'npm', ['test'], { cwd: starter, env: { CI: '1' } });
  await steps.run("the new project's npm run typecheck", 'npm', ['run', 'typecheck'], { cwd: starter });

  // Step 4: the package folders, linked: the CLI and the app must share one @strom/core
  const linked = join(work, 'linked-project');
  mkdirSync(linked);
  writeFileSync(join(linked, 'package.json'), emptyManifest('linked-project'));
  writeFileSync(join(linked, 'app.ts'), readmeFirstApp());
  const folders = [join(ROOT, 'packages', 'core'), join(ROOT, 'packages', 'cli')];
  await steps.run('npm install of the package folders', 'npm', [...npmInstall, ...folders], {
    cwd: linked,
    env: npmEnv,
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
  const agents = await steps.run(
    'strom agents (linked)',
    join(linked, 'node_modules', '.bin', 'strom'),
    ['agents', '-A', 'app.ts'],
    { cwd: linked },
  );
  if (!/^countRides +rides /m.test(agents)) throw new StepError(`strom agents (linked): ${lastLine(agents)}`);

  // Step 5: the README's first app as a worker on the broker
  writeFileSync(join(project, 'app.ts'), readmeFirstApp());
  const worker = steps.start(strom, ['worker', '-A', 'app.ts', '--broker', brokers], { cwd: project });
  await worker.waitFor(/^strom worker {2}app=rides/m, 'first app worker start', WORKER_TIMEOUT_MS);
  // a vendor of its own, so rides from earlier runs on the same broker do not change the count
  const vendorId = 100_000 + Math.floor(Math.random() * 900_000);
  const rides = [
    { vendorId, total_amount: -3 }, // a refund: filtered out
    { vendorId: `${vendorId}`, total_amount: 3 }, // a string: fails the schema
    { vendorId, total_amount: 12.5 },
  ];
  writeFileSync(join(project, 'rides.jsonl'), rides.map((r) => JSON.stringify(r)).join('\n'));
  // one key: one partition, so the worker handles the three in order
  const sendArgs = ['send', 'rides', '--file', 'rides.jsonl', '--key', `${vendorId}`, '--broker', brokers];
  await steps.run('strom send', strom, sendArgs, { cwd: project, timeoutMs: 60_000 });
  await worker.waitFor(
    new RegExp(`^vendor ${vendorId}: 1 paid ride\\(s\\)$`, 'm'),
    'first app processing a ride',
    WORKER_TIMEOUT_MS,
  );
  await worker.waitFor(/sent to dead-letter topic/, 'first app dead-lettering a bad record', 10_000);
  const code = await worker.stop('SIGTERM', 30_000);
  if (code !== 0) throw new StepError(`first app worker: exit ${code} after SIGTERM (expected 0)`);
  if (new RegExp(`^vendor ${vendorId}: [^1]`, 'm').test(worker.output()))
    throw new StepError('first app: the refund was counted as a paid ride');
}

async function main(): Promise<void> {
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'strom-try-install-'));
  const log = join(work, 'try-install.log');
  const deadline = setTimeout(() => {
    killStarted();
    process.stderr.write(`try-install: not done after ${DEADLINE_MS / 1000} s (output in ${log})\n`);
    process.exit(1);
  }, DEADLINE_MS);
  try {
    await tryInstall(new Steps(log), work);
    rmSync(work, { recursive: true, force: true });
    const seconds = Math.round((Date.now() - started) / 1000);
    process.stdout.write(
      `try-install: ok in ${seconds} s (tarballs and folders installed with npm, strom new project tested, first app ran on ${brokers})\n`,
    );
  } catch (error) {
    killStarted();
    if (!(error instanceof StepError)) throw error;
    process.stderr.write(`try-install: ${error.message} (output in ${log})\n`);
    process.exitCode = 1;
  } finally {
    clearTimeout(deadline);
  }
}

await main();
