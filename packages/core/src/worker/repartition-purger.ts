import type { Logger } from '../logging/logger.js';
import type { AdminClient, Assignment } from '../transport/types.js';

export interface RepartitionPurgerOptions {
  admin: AdminClient;
  groupId: string;
  /** The repartition topics the worker reads. */
  topics: readonly string[];
  /** The partitions the worker owns now. */
  assigned: () => readonly Assignment[];
  intervalMs: number;
  log: Logger;
}

/**
 * Deletes the records of repartition topics that the app's group consumed and committed, every
 * `intervalMs`, for the partitions this worker owns. Repartition topics have no time retention
 * (records with old event times must wait until read), so this is what bounds them: the
 * committed offset read back from the broker is the limit, so nothing unprocessed is deleted.
 * Kafka Streams does the same (`repartition.purge.interval.ms`).
 */
export class RepartitionPurger {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The offset each `topic:partition` was purged up to. */
  private readonly purged = new Map<string, bigint>();
  private warned = false;

  constructor(private readonly options: RepartitionPurgerOptions) {}

  start(): void {
    if (this.options.topics.length === 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.purge().finally(() => {
        this.running = undefined;
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer; waits for a purge in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round: deletes what was committed since the last round. Never throws. */
  async purge(): Promise<void> {
    const { admin, groupId, log } = this.options;
    const owned = this.options.assigned().filter((a) => this.options.topics.includes(a.topic));
    if (owned.length === 0) return;
    try {
      const committed = await admin.groupOffsets(
        groupId,
        owned.map((a) => a.topic),
      );
      for (const { topic, partitions } of owned) {
        const offsets = committed.get(topic);
        const before = partitions.flatMap((partition) => {
          const offset = BigInt(offsets?.get(partition) ?? -1);
          const done = this.purged.get(`${topic}:${partition}`) ?? 0n;
          return offset > done ? [{ partition, offset: String(offset) }] : [];
        });
        if (before.length === 0) continue;
        await admin.deleteRecords(topic, before);
        for (const { partition, offset } of before) this.purged.set(`${topic}:${partition}`, BigInt(offset));
        log.debug({ topic, before }, 'purged consumed repartition records');
      }
    } catch (error) {
      // the next round retries; a lasting failure (no DELETE permission) lets the topic grow
      if (this.warned) log.debug({ err: error, groupId }, 'purging repartition records failed');
      else log.warn({ err: error, groupId }, 'purging repartition records failed; retrying every interval');
      this.warned = true;
    }
  }
}
