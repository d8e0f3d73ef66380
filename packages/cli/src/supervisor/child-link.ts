import { join } from 'node:path';
import type { Worker, WorkerDescription } from '@strom/core';

/** What a child tells its supervisor (over the IPC channel `fork` opens) once its worker runs. */
export interface RunningMessage {
  type: 'strom.worker.running';
  description: WorkerDescription;
}

export function isRunningMessage(message: unknown): message is RunningMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === 'strom.worker.running'
  );
}

/** In a child: tells the supervisor the worker runs (it prints the one banner). */
export function reportRunning(description: WorkerDescription): void {
  const message: RunningMessage = { type: 'strom.worker.running', description };
  process.send?.(message);
}

/**
 * In a child: a supervisor that went away (killed with -9) leaves no orphan worker behind; the
 * worker stops cleanly, as on SIGTERM. Returns a function that removes the handler.
 */
export function stopWhenSupervisorGone(worker: () => Worker | undefined): () => void {
  const onDisconnect = () => {
    const target = worker();
    if (target === undefined) process.exit(0);
    target.log.warn('supervisor gone: stopping');
    void target.stop();
  };
  process.on('disconnect', onDisconnect);
  return () => process.off('disconnect', onDisconnect);
}

/**
 * The state directory of child `index`: each child keeps its RocksDB partitions apart (two
 * processes cannot open one database; with standbys, two children hold the same partition). It
 * lies under `<stateDir>/<appId>/`, so `strom reset` deletes it with the rest, and a restarted
 * child finds its own partitions again. `processes` cannot be a partition directory
 * (`<table>-<partition>`).
 */
export function childStateDir(stateDir: string, appId: string, index: number): string {
  return join(stateDir, appId, 'processes', String(index));
}
