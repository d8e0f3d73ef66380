/**
 * Finds a Java 21+ runtime for Apicurio Registry 3.x (its classes are Java 21 bytecode: Java 17
 * fails with UnsupportedClassVersionError). Looks, in order, at `REGISTRY_JAVA_HOME`, `JAVA_HOME`,
 * the newest JDK under /usr/lib/jvm (Debian and Ubuntu packages, Temurin's apt repository), and
 * `java` on the PATH.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../kafka/process.js';

export const MIN_JAVA = 21;

export interface JavaRuntime {
  /** Path of the `java` executable. */
  bin: string;
  major: number;
  /** Which setting or place it came from, for the start line. */
  source: string;
}

/** The major version in a JDK's `release` file (`JAVA_VERSION="25.0.3"`), if it has one. */
function releaseMajor(home: string): number | undefined {
  try {
    const m = /^JAVA_VERSION="(\d+)(?:\.(\d+))?/m.exec(readFileSync(join(home, 'release'), 'utf8'));
    if (!m?.[1]) return undefined;
    return m[1] === '1' ? Number(m[2]) : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** The major version `java -version` reports, or undefined when it does not run. */
async function runMajor(bin: string): Promise<number | undefined> {
  const res = await run(bin, ['-version']).catch(() => undefined);
  const m = res?.code === 0 ? /version "(\d+)(?:\.(\d+))?/.exec(res.output) : null;
  if (!m?.[1]) return undefined;
  return m[1] === '1' ? Number(m[2]) : Number(m[1]);
}

async function fromHome(home: string, source: string): Promise<JavaRuntime | undefined> {
  const bin = join(home, 'bin', 'java');
  if (!existsSync(bin)) return undefined;
  const major = releaseMajor(home) ?? (await runMajor(bin));
  return major === undefined ? undefined : { bin, major, source };
}

/** The JDKs under /usr/lib/jvm, newest first. */
async function systemJdks(): Promise<JavaRuntime[]> {
  const root = '/usr/lib/jvm';
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const found = await Promise.all(names.map((name) => fromHome(join(root, name), join(root, name))));
  return found.filter((j): j is JavaRuntime => j !== undefined).sort((a, b) => b.major - a.major);
}

/** A Java >= 21, or an error saying what to install or set. */
export async function findJava(): Promise<JavaRuntime> {
  const explicit = process.env.REGISTRY_JAVA_HOME;
  if (explicit) {
    const java = await fromHome(explicit, 'REGISTRY_JAVA_HOME');
    if (!java || java.major < MIN_JAVA)
      throw new Error(
        `REGISTRY_JAVA_HOME=${explicit} is ${java ? `Java ${java.major}` : 'not a JDK (no bin/java)'}; Apicurio Registry needs Java ${MIN_JAVA}+`,
      );
    return java;
  }
  const candidates: JavaRuntime[] = [];
  if (process.env.JAVA_HOME) {
    const java = await fromHome(process.env.JAVA_HOME, 'JAVA_HOME');
    if (java) candidates.push(java);
  }
  candidates.push(...(await systemJdks()));
  const onPath = await runMajor('java');
  if (onPath !== undefined) candidates.push({ bin: 'java', major: onPath, source: 'PATH' });
  const java = candidates.find((j) => j.major >= MIN_JAVA);
  if (java) return java;
  const seen = candidates.map((j) => `Java ${j.major} (${j.source})`).join(', ') || 'no Java';
  throw new Error(
    `Apicurio Registry needs Java ${MIN_JAVA}+ and found ${seen}: install a JDK 21+ (Temurin, or your distribution's openjdk-21-jdk) and set REGISTRY_JAVA_HOME to it`,
  );
}
