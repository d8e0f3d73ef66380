/** The machine a bench ran on, for docs/benchmarks.md. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  kafkajs: string;
  kafka: string;
  /** packages/core's last commit, and whether its sources had uncommitted changes. */
  strom: string;
  python?: string;
  faust?: string;
  aiokafka?: string;
}

function osName(): string {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(release)?.[1];
    if (pretty) return `${pretty}, Linux ${os.release()}`;
  } catch {
    // not Linux, or no os-release
  }
  return `${os.type()} ${os.release()}`;
}

export function describeMachine(
  kafkaVersion: string,
  strom: string,
  faust?: Record<string, string>,
): Machine {
  const require = createRequire(import.meta.url);
  const kafkajs = (require('kafkajs/package.json') as { version: string }).version;
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: os.availableParallelism(),
    memoryGb: os.totalmem() / 1024 ** 3,
    os: osName(),
    node: process.version,
    kafkajs,
    kafka: `Apache Kafka ${kafkaVersion}`,
    strom,
    python: faust?.python,
    faust: faust?.['faust-streaming'],
    aiokafka: faust?.aiokafka,
  };
}
