import { describe, expect, it } from 'vitest';
import { assignCopartitioned, type MemberInput } from './copartitioned.js';

const counts = new Map([
  ['rides', 4],
  ['app-vendor-repartition', 4],
  ['zones', 2],
]);
const member = (memberId: string, previous: MemberInput['previous'] = []): MemberInput => ({
  memberId,
  topics: ['rides', 'app-vendor-repartition', 'zones'],
  previous,
});
const partitionsOf = (result: ReturnType<typeof assignCopartitioned>, id: string, topic: string) =>
  result.get(id)!.active.find((a) => a.topic === topic)?.partitions ?? [];

describe('co-partitioned assignment', () => {
  it('gives partition p of every topic with the same partition count to the same member', () => {
    const result = assignCopartitioned([member('a'), member('b'), member('c')], counts, { standbys: 0 });
    for (const id of ['a', 'b', 'c']) {
      expect(partitionsOf(result, id, 'rides')).toEqual(partitionsOf(result, id, 'app-vendor-repartition'));
    }
    const all = ['a', 'b', 'c'].flatMap((id) => partitionsOf(result, id, 'rides')).sort();
    expect(all).toEqual([0, 1, 2, 3]);
    const zones = ['a', 'b', 'c'].flatMap((id) => partitionsOf(result, id, 'zones')).sort();
    expect(zones).toEqual([0, 1]);
  });

  it('balances: no member holds more than ceil(P/N) of a partition count', () => {
    const result = assignCopartitioned([member('a'), member('b'), member('c')], counts, { standbys: 0 });
    const loads = ['a', 'b', 'c'].map((id) => partitionsOf(result, id, 'rides').length).sort();
    expect(loads).toEqual([1, 1, 2]);
  });

  it('is sticky: a member joining takes partitions from others but owners keep what they can', () => {
    const before = assignCopartitioned([member('a'), member('b')], counts, { standbys: 0 });
    const previous = (id: string) => before.get(id)!.active;
    const after = assignCopartitioned(
      [member('a', previous('a')), member('b', previous('b')), member('c')],
      counts,
      {
        standbys: 0,
      },
    );
    for (const id of ['a', 'b']) {
      const kept = partitionsOf(after, id, 'rides').filter((p) =>
        partitionsOf(before, id, 'rides').includes(p),
      );
      expect(kept).toEqual(partitionsOf(after, id, 'rides'));
    }
    expect(partitionsOf(after, 'c', 'rides')).toHaveLength(1);
  });

  it('a member leaving: the survivor keeps its partitions and takes the rest', () => {
    const before = assignCopartitioned([member('a'), member('b')], counts, { standbys: 0 });
    const after = assignCopartitioned([member('a', before.get('a')!.active)], counts, { standbys: 0 });
    expect(partitionsOf(after, 'a', 'rides')).toEqual([0, 1, 2, 3]);
  });

  it('places standbys on members other than the owner', () => {
    const result = assignCopartitioned([member('a'), member('b'), member('c')], counts, { standbys: 1 });
    for (const id of ['a', 'b', 'c']) {
      const standby = result.get(id)!.standby[4] ?? [];
      for (const p of standby) expect(partitionsOf(result, id, 'rides')).not.toContain(p);
    }
    const copies = ['a', 'b', 'c'].flatMap((id) => result.get(id)!.standby[4] ?? []).sort();
    expect(copies).toEqual([0, 1, 2, 3]);
  });

  it('caps standbys at members - 1 and assigns nothing to nobody', () => {
    const alone = assignCopartitioned([member('a')], counts, { standbys: 2 });
    expect(alone.get('a')!.standby).toEqual({});
    expect(assignCopartitioned([], counts, { standbys: 1 }).size).toBe(0);
  });

  it('on failover, gives an orphaned partition to a member holding its standby copy when it has room', () => {
    // b owned 2 and 3 and left; a keeps 0 and 1 (its fair share); c holds the standby of 3
    const a = { ...member('a', [{ topic: 'rides', partitions: [0, 1] }]), standby: { 4: [2] } };
    const c = { ...member('c'), standby: { 4: [3] } };
    const after = assignCopartitioned([a, c], counts, { standbys: 1 });
    expect(partitionsOf(after, 'a', 'rides')).toEqual([0, 1]);
    expect(partitionsOf(after, 'c', 'rides')).toEqual([2, 3]);
    // with room on both, each orphan goes to its standby holder rather than by load
    const a2 = { ...member('a'), standby: { 4: [2, 3] } };
    const c2 = { ...member('c'), standby: { 4: [0, 1] } };
    const fresh = assignCopartitioned([a2, c2], counts, { standbys: 1 });
    expect(partitionsOf(fresh, 'a', 'rides')).toEqual([2, 3]);
    expect(partitionsOf(fresh, 'c', 'rides')).toEqual([0, 1]);
  });
});
