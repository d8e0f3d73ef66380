/**
 * Table recovery benchmark (issue 4): how fast a worker restores a 1M-record changelog, and how
 * long a worker with a RocksDB checkpoint takes from start to its first event.
 *
 *   pnpm exec tsx bench/recovery.ts [--records 1000000] [--keys 100000]
 *
 * Needs a broker (KAFKA_BROKERS or 127.0.0.1:9092). Prints one JSON line per measurement.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '@strom/core';
import { Kafka, logLevel } from 'kafkajs';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const records = arg('records', 1_000_000);
const keys = arg('keys', 100_000);
const partitions = 4;
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const kafka = new Kafka({ clientId: 'bench-recovery', brokers, logLevel: logLevel.NOTHING });
const id = `bench-recovery-${Date.now().toString(36)}`;
const input = `${id}-input`;
const changelog = `${id}-counts-changelog`;

async function setUp(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: input, numPartitions: partitions },
      {
        topic: changelog,
        numPartitions: partitions,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ],
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const started = Date.now();
  const batch = 10_000;
  for (let i = 0; i < records; i += batch) {
    const messages = Array.from({ length: Math.min(batch, records - i) }, (_, j) => {
      const n = i + j;
      return {
        key: JSON.stringify(`k${n % keys}`),
        value: String(Math.floor(n / keys) + 1),
        partition: n % partitions,
      };
    });
    await producer.send({ topic: changelog, messages, acks: -1 });
  }
  await producer.disconnect();
  console.error(`produced ${records} changelog records in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function counter(store: 'memory' | 'rocksdb', stateDir: string) {
  const app = new App({ id, broker: brokers, logLevel: 'silent', store, stateDir });
  const counts = app.table<number, string>('counts', { default: () => 0 });
  let first: number | undefined;
  app.agent(app.topic<number, string>(input), async function count(stream) {
    for await (const e of stream.events()) {
      first ??= Date.now();
      await counts.update(e.key, (c) => c + 1);
    }
  });
  return { app, firstEventAt: () => first };
}

async function waitFor(check: () => boolean, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main(): Promise<void> {
  await setUp();
  const stateDir = mkdtempSync(join(tmpdir(), 'strom-bench-recovery-'));
  try {
    // 1. memory store: the whole changelog is read on start
    const memory = counter('memory', stateDir).app.createWorker();
    let started = Date.now();
    await memory.start();
    await waitFor(() => memory.recoveries.length === partitions);
    let ms = Date.now() - started;
    const read = memory.recoveries.reduce((n, r) => n + r.records, 0);
    console.log(
      JSON.stringify({
        scenario: 'recovery',
        store: 'memory',
        records: read,
        seconds: ms / 1000,
        recordsPerSec: Math.round(read / (ms / 1000)),
      }),
    );
    await memory.stop();

    // 2. RocksDB: the first start restores everything into the store (and checkpoints it)
    const rocksFirst = counter('rocksdb', stateDir).app.createWorker();
    started = Date.now();
    await rocksFirst.start();
    await waitFor(() => rocksFirst.recoveries.length === partitions);
    ms = Date.now() - started;
    const rocksRead = rocksFirst.recoveries.reduce((n, r) => n + r.records, 0);
    console.log(
      JSON.stringify({
        scenario: 'recovery',
        store: 'rocksdb',
        records: rocksRead,
        seconds: ms / 1000,
        recordsPerSec: Math.round(rocksRead / (ms / 1000)),
      }),
    );
    await rocksFirst.stop();

    // 3. restart with the RocksDB checkpoint: from start() to the first event processed
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: input,
      messages: [{ key: JSON.stringify('k1'), value: '1', partition: 0 }],
    });
    await producer.disconnect();
    const again = counter('rocksdb', stateDir);
    const worker = again.app.createWorker();
    started = Date.now();
    await worker.start();
    await waitFor(() => again.firstEventAt() !== undefined);
    console.log(
      JSON.stringify({
        scenario: 'restart-to-first-event',
        store: 'rocksdb',
        changelogRecords: records,
        recoveryRead: worker.recoveries.reduce((n, r) => n + r.records, 0),
        seconds: (again.firstEventAt()! - started) / 1000,
      }),
    );
    await worker.stop();
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [input, changelog] }).catch(() => undefined);
    await admin.disconnect();
  }
}

await main();
process.exit(0);
