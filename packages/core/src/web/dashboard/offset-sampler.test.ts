import { describe, expect, it } from 'vitest';
import { createLogger } from '../../logging/logger.js';
import { OffsetSampler } from './offset-sampler.js';

/** Offsets a test moves by hand: the end of each partition and what the group committed. */
function offsets() {
  const end = new Map<number, number>([
    [0, 0],
    [1, 0],
  ]);
  const committed = new Map<number, string>();
  const admin = {
    topicOffsets: async () =>
      [...end].map(([partition, high]) => ({ partition, low: '0', high: String(high) })),
    groupOffsets: async () => new Map([['rides', new Map(committed)]]),
  };
  return { end, committed, admin };
}

const log = createLogger({ name: 'test', level: 'silent' });

describe('OffsetSampler', () => {
  it('turns committed offsets into records per second and lag per partition', async () => {
    const { end, committed, admin } = offsets();
    const sampler = new OffsetSampler({
      admin,
      groupId: 'g',
      topics: () => ['rides'],
      intervalMs: 1000,
      maxPoints: 3,
      log,
    });
    await sampler.sample(0);
    expect(sampler.series().every((s) => s.points.length === 0)).toBe(true);
    end.set(0, 100);
    committed.set(0, '40');
    await sampler.sample(2000);
    end.set(0, 150);
    committed.set(0, '150');
    await sampler.sample(3000);
    const [p0, p1] = sampler.series();
    expect(p0).toEqual({
      topic: 'rides',
      partition: 0,
      points: [
        { atMs: 2000, recordsPerSec: 20, lag: 60 },
        { atMs: 3000, recordsPerSec: 110, lag: 0 },
      ],
    });
    expect(p1!.points.map((p) => p.recordsPerSec)).toEqual([0, 0]);
  });

  it('keeps maxPoints points and never reports a negative rate when offsets go back', async () => {
    const { committed, end, admin } = offsets();
    const sampler = new OffsetSampler({
      admin,
      groupId: 'g',
      topics: () => ['rides'],
      intervalMs: 1000,
      maxPoints: 2,
      log,
    });
    for (let i = 0; i < 5; i++) {
      end.set(0, 10 * (i + 1));
      committed.set(0, String(i === 4 ? 0 : 10 * i));
      await sampler.sample(i * 1000);
    }
    const points = sampler.series()[0]!.points;
    expect(points.map((p) => p.atMs)).toEqual([3000, 4000]);
    expect(points[1]).toEqual({ atMs: 4000, recordsPerSec: 0, lag: 50 });
  });

  it('skips a failed read and keeps what it had', async () => {
    const { admin } = offsets();
    let fail = false;
    const flaky = {
      ...admin,
      topicOffsets: async () => {
        if (fail) throw new Error('broker gone');
        return admin.topicOffsets();
      },
    };
    const sampler = new OffsetSampler({
      admin: flaky,
      groupId: 'g',
      topics: () => ['rides'],
      intervalMs: 1000,
      maxPoints: 5,
      log,
    });
    await sampler.sample(0);
    await sampler.sample(1000);
    fail = true;
    await expect(sampler.sample(2000)).resolves.toBeUndefined();
    expect(sampler.series()[0]!.points).toHaveLength(1);
  });

  it('samples on request at most once per interval', async () => {
    const { admin } = offsets();
    let reads = 0;
    const counting = {
      ...admin,
      groupOffsets: async () => {
        reads += 1;
        return admin.groupOffsets();
      },
    };
    const sampler = new OffsetSampler({
      admin: counting,
      groupId: 'g',
      topics: () => ['rides'],
      intervalMs: 1000,
      maxPoints: 5,
      log,
    });
    await Promise.all([sampler.sampleIfDue(0), sampler.sampleIfDue(10)]);
    await sampler.sampleIfDue(999);
    expect(reads).toBe(1);
    await sampler.sampleIfDue(1000);
    expect(reads).toBe(2);
  });
});
