/**
 * Plumbing for `pnpm demo`: find or start a broker, reset the demo's topics, and watch
 * consumer-group progress. Uses kafkajs directly; the pipelines themselves only use Strom.
 */
import { connect } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from '../../scripts/kafka/launcher.js';

export function demoBrokers(): string[] {
  return (
    process.env.STROM_BROKER ??
    process.env.KAFKA_BROKERS ??
    `127.0.0.1:${process.env.KAFKA_PORT ?? 9092}`
  ).split(',');
}

function reachable(broker: string): Promise<boolean> {
  const at = broker.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = connect({ host: broker.slice(0, at), port: Number(broker.slice(at + 1)), timeout: 2000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** Uses the broker at STROM_BROKER/KAFKA_BROKERS/127.0.0.1:9092, starting a local one if none answers. */
export async function ensureBroker(): Promise<string[]> {
  const brokers = demoBrokers();
  if ((await Promise.all(brokers.map(reachable))).some(Boolean)) return brokers;
  console.log('no Kafka broker answers: starting a local one (pnpm kafka start)');
  const started = await startKafka({ brokers: 1 });
  return started.bootstrap;
}

export class DemoCluster {
  private readonly kafka: Kafka;

  constructor(brokers: string[]) {
    this.kafka = new Kafka({ clientId: 'strom-demo', brokers, logLevel: logLevel.NOTHING });
  }

  /** Deletes the topics and consumer groups of an earlier demo run, so counts start from zero. */
  async reset(topics: string[], groups: string[]): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const stale = [...existing].filter((t) =>
        topics.some((prefix) => t === prefix || t.startsWith(`${prefix}-`)),
      );
      if (stale.length > 0) await admin.deleteTopics({ topics: stale, timeout: 30_000 });
      const { groups: all } = await admin.listGroups();
      const staleGroups = all.map((g) => g.groupId).filter((g) => groups.includes(g));
      if (staleGroups.length > 0) await admin.deleteGroups(staleGroups);
      // topic deletion is asynchronous on the broker: wait until the names are free, then a
      // little longer, or a topic created again at once may briefly have no leader
      for (let i = 0; i < 100; i++) {
        const left = (await admin.listTopics()).filter((t) => stale.includes(t));
        if (left.length === 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      if (stale.length > 0) await new Promise((r) => setTimeout(r, 500));
    } finally {
      await admin.disconnect();
    }
  }

  /** Records in `topic` (sum of its partitions' end offsets). */
  async count(topic: string): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
    } finally {
      await admin.disconnect();
    }
  }

  /** Waits until `group` committed the end of every partition of `topic`. */
  async waitConsumed(group: string, topic: string, timeoutMs = 60_000): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        const done = ends.every(
          (e) => committed?.partitions.find((p) => p.partition === e.partition)?.offset === e.high,
        );
        if (done) return;
        if (Date.now() > deadline)
          throw new Error(`${group} did not consume ${topic} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await admin.disconnect();
    }
  }
}
