import { describe, expect, it } from 'vitest';
import { App } from '../../app/app.js';
import { createLogger } from '../../logging/logger.js';
import type { RecentDeadLetter } from '../../worker/dead-letters.js';
import type { WorkerState } from '../../worker/worker-description.js';
import { DashboardFeed, type TableRecoveryProgress } from './dashboard-feed.js';
import { OffsetSampler } from './offset-sampler.js';

function feed() {
  const app = new App({ id: 'taxi', broker: 'localhost:1' });
  app.agent(app.topic('rides'), async function count() {});
  app.table('per_vendor', { default: () => 0 });
  let reads = 0;
  const sampler = new OffsetSampler({
    admin: {
      topicOffsets: async () => {
        reads += 1;
        return [{ partition: 0, low: '0', high: '10' }];
      },
      groupOffsets: async () => new Map(),
    },
    groupId: 'taxi',
    topics: () => ['rides'],
    intervalMs: 1000,
    maxPoints: 10,
    log: createLogger({ name: 'test', level: 'silent' }),
  });
  const state = { now: 'starting' as WorkerState };
  const recovering: TableRecoveryProgress[] = [];
  const letters: RecentDeadLetter[] = [
    {
      atMs: 1,
      topic: 'rides',
      partition: 0,
      offset: '3',
      reason: 'first',
      deadLetterTopic: 'taxi-rides-dlq',
    },
    {
      atMs: 2,
      topic: 'rides',
      partition: 1,
      offset: '9',
      reason: 'second',
      deadLetterTopic: 'taxi-rides-dlq',
    },
  ];
  const dashboard = new DashboardFeed({
    appId: 'taxi',
    state: () => state.now,
    topology: () => ({
      agents: app.agents,
      topics: app.topics(),
      tables: app.tables,
      reads: new Map(),
      partitions: new Map(),
      isRepartition: () => false,
    }),
    sampler,
    recoveriesInProgress: () => recovering,
    recoveries: () => [],
    deadLetters: () => letters,
  });
  return { dashboard, state, recovering, reads: () => reads };
}

describe('DashboardFeed', () => {
  it('reads offsets only once the worker runs, and lists dead letters newest first', async () => {
    const { dashboard, state, reads } = feed();
    const starting = await dashboard.snapshot(0);
    expect(reads()).toBe(0);
    expect(starting.topology.nodes.map((n) => n.id)).toContain('table:per_vendor');
    expect(starting.tables).toEqual([{ name: 'per_vendor' }]);
    expect(starting.deadLetters.map((d) => d.reason)).toEqual(['second', 'first']);
    state.now = 'running';
    await dashboard.snapshot(1000);
    expect(reads()).toBe(1);
  });

  it('gives a recovery under way its rate and ETA since it was first seen', async () => {
    const { dashboard, recovering } = feed();
    recovering.push({ table: 'per_vendor', partition: 1, read: 100, total: 1100 });
    expect((await dashboard.snapshot(0)).recoveries.inProgress[0]).toMatchObject({ recordsPerSec: 0 });
    recovering[0]!.read = 600;
    expect((await dashboard.snapshot(1000)).recoveries.inProgress).toEqual([
      { table: 'per_vendor', partition: 1, read: 600, total: 1100, recordsPerSec: 500, etaSec: 1 },
    ]);
  });
});
