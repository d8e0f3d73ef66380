import type { Worker } from './worker.js';

/**
 * SIGINT/SIGTERM stop the worker gracefully (finish in-flight events, commit, leave the group);
 * a second signal exits at once. Returns a function that removes the handlers.
 */
export function stopOnSignals(worker: Worker): () => void {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    received += 1;
    if (received > 1) {
      worker.log.warn({ signal }, 'second signal: exiting without a clean stop');
      process.exit(130);
    }
    worker.log.info({ signal }, 'signal received: stopping');
    void worker.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
