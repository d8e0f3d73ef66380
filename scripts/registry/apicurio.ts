/**
 * The Apicurio Registry server: its Quarkus build (`apicurio-registry-app-<version>-all.tar.gz`,
 * 158 MB on Maven Central), fetched with Maven once and unpacked into `<state>/apicurio-<version>/`
 * (a `.complete` marker says the unpacking finished).
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scriptDir } from '../kafka/paths.js';
import { run } from '../kafka/process.js';

export const APICURIO_VERSION = '3.3.3';
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

/** The unpacked server's directory (holds quarkus-run.jar), fetched and unpacked if missing. */
export async function ensureApicurio(cacheDir: string, log: (message: string) => void): Promise<string> {
  const appDir = join(cacheDir, `apicurio-${APICURIO_VERSION}`);
  if (existsSync(join(appDir, '.complete'))) return appDir;
  // fetch and unpack into a private temp dir, then rename: a crashed or concurrent fetch never
  // leaves a half-unpacked server behind the .complete marker
  const tmp = join(cacheDir, `apicurio-${APICURIO_VERSION}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'app'), { recursive: true });
  log(`fetching Apicurio Registry ${APICURIO_VERSION} (158 MB) from Maven Central into ${appDir} ...`);
  const t0 = performance.now();
  try {
    // any POM will do as Maven's project: the Kafka launcher's is at hand
    const fetched = await run('mvn', [
      '-B',
      '-q',
      '-f',
      join(scriptDir, 'pom.xml'),
      `${DEPENDENCY_PLUGIN}:copy`,
      `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`,
      `-DoutputDirectory=${tmp}`,
    ]).catch((err: Error) => {
      throw new Error(`${err.message} (Maven 3.6.3+ fetches Apicurio Registry)`);
    });
    const archive = join(tmp, `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`);
    if (fetched.code !== 0 || !existsSync(archive))
      throw new Error(
        `mvn could not fetch Apicurio Registry ${APICURIO_VERSION} (exit ${fetched.code}):\n${fetched.output.trim()}`,
      );
    const unpacked = await run('tar', ['-xzf', archive, '-C', join(tmp, 'app')]);
    if (unpacked.code !== 0 || !existsSync(join(tmp, 'app', 'quarkus-run.jar')))
      throw new Error(`cannot unpack ${archive}: ${unpacked.output.trim()}`);
    writeFileSync(
      join(tmp, 'app', '.complete'),
      `fetched in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    if (!existsSync(join(appDir, '.complete'))) {
      rmSync(appDir, { recursive: true, force: true });
      renameSync(join(tmp, 'app'), appDir);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  log(`fetched and unpacked in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return appDir;
}
