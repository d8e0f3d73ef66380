import { connect } from 'node:net';
import { UsageError } from './errors.js';

/** Resolves when a TCP connection to `host:port` opens; rejects on refusal or after `timeoutMs`. */
function reachable(broker: string, timeoutMs: number): Promise<void> {
  const at = broker.lastIndexOf(':');
  const host = broker.slice(0, at);
  const port = Number(broker.slice(at + 1));
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error('timeout'));
    });
    socket.once('error', reject);
  });
}

/**
 * Fails fast with one line when no bootstrap broker accepts a connection, instead of letting
 * the Kafka client retry for seconds and log every attempt.
 */
export async function requireReachable(brokers: readonly string[], timeoutMs = 3000): Promise<void> {
  try {
    await Promise.any(brokers.map((b) => reachable(b, timeoutMs)));
  } catch {
    throw new UnreachableBrokerError(brokers);
  }
}

export class UnreachableBrokerError extends UsageError {
  override name = 'UnreachableBrokerError';

  constructor(brokers: readonly string[]) {
    super(
      `cannot reach Kafka at ${brokers.join(',')}: start a broker (pnpm kafka start) or pass --broker host:port`,
    );
  }
}
