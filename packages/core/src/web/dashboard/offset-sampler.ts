import type { Logger } from '../../logging/logger.js';
import type { AdminClient } from '../../transport/types.js';

/** One point of a partition's chart: records the group committed per second, and its lag. */
export interface ThroughputPoint {
  atMs: number;
  recordsPerSec: number;
  lag: number;
}

export interface PartitionSeries {
  topic: string;
  partition: number;
  points: ThroughputPoint[];
}

export interface OffsetSamplerOptions {
  admin: Pick<AdminClient, 'topicOffsets' | 'groupOffsets'>;
  groupId: string;
  /** The topics the app's agents read (repartition topics included). */
  topics: () => readonly string[];
  /** The least time between two samples. */
  intervalMs: number;
  /** Points kept per partition (the charts' width in time is this times intervalMs). */
  maxPoints: number;
  log: Logger;
}

interface RawSample {
  atMs: number;
  end: number;
  committed: number;
}

/**
 * Throughput and lag per partition over time, for the whole consumer group: a sample reads the
 * end offsets of the topics and the offsets the group committed. Rates come from committed offsets, so they show what was finished, in steps of the commit interval; a worker
 * of the app sees every member's progress, not only its own.
 */
export class OffsetSampler {
  private readonly samples = new Map<string, { topic: string; partition: number; raw: RawSample[] }>();
  private running: Promise<void> | undefined;
  private lastAtMs = Number.NEGATIVE_INFINITY;
  private failedBefore = false;

  constructor(private readonly options: OffsetSamplerOptions) {}

  /**
   * Samples when the last sample is `intervalMs` old, at most one read at a time: the dashboard
   * calls it per request, so nothing is read while nobody looks.
   */
  async sampleIfDue(now = Date.now()): Promise<void> {
    if (this.running === undefined && now - this.lastAtMs >= this.options.intervalMs) {
      this.lastAtMs = now;
      this.running = this.sample(now).finally(() => {
        this.running = undefined;
      });
    }
    await this.running;
  }

  /** Reads the offsets once; a failure is logged once (until a read succeeds) and skipped. */
  async sample(now = Date.now()): Promise<void> {
    const { admin, groupId } = this.options;
    const topics = [...this.options.topics()];
    if (topics.length === 0) return;
    try {
      const [ends, committed] = await Promise.all([
        Promise.all(topics.map(async (topic) => ({ topic, offsets: await admin.topicOffsets(topic) }))),
        admin.groupOffsets(groupId, topics),
      ]);
      for (const { topic, offsets } of ends) {
        for (const { partition, low, high } of offsets) {
          const done = Number(committed.get(topic)?.get(partition) ?? '-1');
          // nothing committed yet: count the lag from the log start
          this.add(topic, partition, {
            atMs: now,
            end: Number(high),
            committed: done >= 0 ? done : Number(low),
          });
        }
      }
      this.failedBefore = false;
    } catch (error) {
      if (!this.failedBefore)
        this.options.log.warn({ err: error, groupId }, 'dashboard: reading offsets failed');
      this.failedBefore = true;
    }
  }

  /** Each partition's points, oldest first; a partition needs two samples for its first point. */
  series(): PartitionSeries[] {
    const out: PartitionSeries[] = [];
    for (const { topic, partition, raw } of this.samples.values()) {
      const points: ThroughputPoint[] = [];
      for (let i = 1; i < raw.length; i++) {
        const before = raw[i - 1]!;
        const now = raw[i]!;
        const seconds = Math.max((now.atMs - before.atMs) / 1000, 0.001);
        points.push({
          atMs: now.atMs,
          // a reset group or a deleted topic moves offsets back: not negative throughput
          recordsPerSec: Math.max(0, now.committed - before.committed) / seconds,
          lag: Math.max(0, now.end - now.committed),
        });
      }
      out.push({ topic, partition, points });
    }
    return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  private add(topic: string, partition: number, sample: RawSample): void {
    const key = `${topic}:${partition}`;
    let entry = this.samples.get(key);
    if (!entry) {
      entry = { topic, partition, raw: [] };
      this.samples.set(key, entry);
    }
    entry.raw.push(sample);
    // one raw sample more than points: the oldest point needs the sample before it
    if (entry.raw.length > this.options.maxPoints + 1) entry.raw.shift();
  }
}
