/**
 * The broker's classpath: either an existing Kafka install (`KAFKA_HOME/libs`) or the jars Maven
 * fetches from Maven Central into `<state>/libs-<version>/` (once; a `.complete` marker says the
 * copy finished).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Logger, scriptDir } from './paths.js';
import { run } from './process.js';

const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

export interface KafkaDistribution {
  /** Kafka version, e.g. "4.1.2". */
  version: string;
  /** Major version: 4.x brokers log with Log4j 2, 3.x with reload4j (Log4j 1). */
  major: number;
  /** Directory of jars; the JVM classpath is `<libsDir>/*`. */
  libsDir: string;
  /** Where the jars came from. */
  source: 'maven' | 'KAFKA_HOME';
}

export function majorOf(version: string): number {
  const major = Number.parseInt(version, 10);
  if (!Number.isInteger(major))
    throw new Error(`cannot read a major version from Kafka version '${version}'`);
  return major;
}

/** `KAFKA_HOME/libs` when `KAFKA_HOME` is set, else the Maven-fetched jars (fetched if missing). */
export async function ensureKafkaJars(options: {
  version: string;
  cacheDir: string;
  log: Logger;
}): Promise<KafkaDistribution> {
  const home = process.env.KAFKA_HOME;
  if (home) return fromKafkaHome(home, options.log);
  return fromMaven(options.version, options.cacheDir, options.log);
}

function fromKafkaHome(home: string, log: Logger): KafkaDistribution {
  const libsDir = join(home, 'libs');
  if (!existsSync(libsDir)) throw new Error(`KAFKA_HOME=${home} has no libs/ directory`);
  // the broker jar is kafka_<scala>-<version>.jar (not -sources/-test/-javadoc)
  const jar = readdirSync(libsDir).find(
    (f) => /^kafka_2\.\d+-\d[\w.-]*\.jar$/.test(f) && !/-(test|sources|javadoc)/.test(f),
  );
  if (!jar) throw new Error(`no kafka_2.x-<version>.jar in ${libsDir}`);
  const version = jar.replace(/^kafka_2\.\d+-/, '').replace(/\.jar$/, '');
  if (process.env.KAFKA_VERSION && process.env.KAFKA_VERSION !== version) {
    log(`KAFKA_HOME holds Kafka ${version}; ignoring KAFKA_VERSION=${process.env.KAFKA_VERSION}`);
  }
  return { version, major: majorOf(version), libsDir, source: 'KAFKA_HOME' };
}

async function fromMaven(version: string, cacheDir: string, log: Logger): Promise<KafkaDistribution> {
  const major = majorOf(version);
  const libsDir = join(cacheDir, `libs-${version}`);
  const dist: KafkaDistribution = { version, major, libsDir, source: 'maven' };
  if (existsSync(join(libsDir, '.complete'))) return dist;

  const pom = join(scriptDir, major >= 4 ? 'pom.xml' : 'pom-3.9.xml');
  // fetch into a private temp dir, then rename: a crashed or concurrent fetch never leaves a
  // half-filled libs dir behind the .complete marker
  const tmp = join(cacheDir, `libs-${version}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  log(`fetching Apache Kafka ${version} jars from Maven Central into ${libsDir} ...`);
  const t0 = performance.now();
  const args = [
    '-B',
    '-q',
    '-f',
    pom,
    `${DEPENDENCY_PLUGIN}:copy-dependencies`,
    `-Dkafka.version=${version}`,
    '-DincludeScope=runtime',
    `-DoutputDirectory=${tmp}`,
  ];
  const res = await run('mvn', args).catch((err: Error) => {
    throw new Error(`${err.message} (Maven 3.6.3+ is needed to fetch Kafka jars; or set KAFKA_HOME)`);
  });
  const brokerJar = `kafka_2.13-${version}.jar`;
  if (res.code !== 0 || !existsSync(join(tmp, brokerJar))) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`mvn could not fetch Kafka ${version} (exit ${res.code}):\n${res.output.trim()}`);
  }
  const jars = readdirSync(tmp).filter((f) => f.endsWith('.jar'));
  const bytes = jars.reduce((sum, f) => sum + statSync(join(tmp, f)).size, 0);
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  writeFileSync(join(tmp, '.complete'), `${jars.length} jars, ${bytes} bytes, fetched in ${seconds} s\n`);
  if (existsSync(join(libsDir, '.complete'))) {
    rmSync(tmp, { recursive: true, force: true }); // someone else finished first
  } else {
    rmSync(libsDir, { recursive: true, force: true });
    renameSync(tmp, libsDir);
  }
  log(`fetched ${jars.length} jars (${(bytes / 1024 / 1024).toFixed(1)} MiB) in ${seconds} s`);
  return dist;
}

/** Major Java version of `java` on the PATH (Kafka 4.x brokers need 17+). */
export async function javaMajorVersion(): Promise<number> {
  const res = await run('java', ['-version']).catch(() => undefined);
  if (res?.code !== 0) throw new Error('java not found on PATH (Kafka 4.x needs Java 17+)');
  const m = /version "(\d+)(?:\.(\d+))?/.exec(res.output);
  if (!m?.[1]) throw new Error(`cannot read the Java version from: ${res.output.trim()}`);
  const first = Number(m[1]);
  return first === 1 ? Number(m[2]) : first; // "1.8.0" -> 8
}
