/**
 * "Up" means: for every broker address, a kafkajs admin client bootstrapped with only that address
 * connects and `describeCluster()` lists all brokers. Checking one address is not enough: the
 * metadata lists a broker as soon as it is unfenced, a moment before its client listener accepts
 * connections (seen as ECONNREFUSED on a 3-broker start). An open port alone is not enough either:
 * the socket binds before the broker is unfenced.
 */
import { Kafka, logLevel } from 'kafkajs';
import { sleep } from './process.js';

/** Number of live brokers the cluster reports, or 0 if it cannot be reached within `timeoutMs`. */
export async function liveBrokers(bootstrap: readonly string[], timeoutMs = 2_000): Promise<number> {
  const kafka = new Kafka({
    clientId: 'strom-kafka-readiness',
    brokers: [...bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(1_000, timeoutMs),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<number>((r) => {
    timer = setTimeout(() => r(0), timeoutMs);
  });
  const probe = (async () => {
    try {
      await admin.connect();
      const { brokers } = await admin.describeCluster();
      return brokers.length;
    } catch {
      return 0;
    }
  })();
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

/** For each address: how many brokers it reports (0 if it does not answer). */
export function probeEach(bootstrap: readonly string[], timeoutMs = 2_000): Promise<number[]> {
  return Promise.all(bootstrap.map((address) => liveBrokers([address], timeoutMs)));
}

/**
 * Polls until every address answers and lists `expected` brokers. `checkProcesses` runs before each poll and
 * throws to abort early (a node died during startup).
 */
export async function waitForBrokers(
  bootstrap: readonly string[],
  expected: number,
  options: { timeoutMs: number; checkProcesses: () => void; pollMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let seen = 0;
  while (Date.now() < deadline) {
    options.checkProcesses();
    const counts = await probeEach(bootstrap, 2_000);
    seen = Math.min(...counts);
    if (seen >= expected) return;
    await sleep(options.pollMs ?? 250);
  }
  throw new Error(
    `Kafka not ready after ${options.timeoutMs} ms: some address sees only ${seen}/${expected} brokers`,
  );
}
