/**
 * The co-partitioning, sticky assignment Strom's workers agree on (the group leader computes
 * it). Topics with the same partition count form a group and are assigned by partition
 * *number*: whoever gets partition p of one gets partition p of all, so a table partition
 * (co-partitioned with its source) always lives with the source partitions that write it.
 * Partitions stay with their previous owner while that keeps the load balanced, and standby
 * copies of table partitions go to other members than the owner.
 */

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface MemberInput {
  memberId: string;
  /** Topics this member subscribes to (Strom workers of one app subscribe to the same ones). */
  topics: readonly string[];
  /** What it owned before this rebalance (stickiness). */
  previous: readonly TopicPartitions[];
  /** Per partition count: the partitions it keeps standby copies of (preferred on failover). */
  standby?: Readonly<Record<number, readonly number[]>>;
}

export interface MemberAssignment {
  active: TopicPartitions[];
  /** Per partition count: partition numbers this member keeps a standby copy of. */
  standby: Record<number, number[]>;
}

export interface AssignOptions {
  /** Standby copies per partition (capped at members - 1). */
  standbys: number;
}

/** Assigns every partition of every subscribed topic to exactly one member. */
export function assignCopartitioned(
  members: readonly MemberInput[],
  partitionCounts: ReadonlyMap<string, number>,
  options: AssignOptions,
): Map<string, MemberAssignment> {
  const ids = members.map((m) => m.memberId).sort();
  const result = new Map<string, MemberAssignment>(ids.map((id) => [id, { active: [], standby: {} }]));
  if (ids.length === 0) return result;
  const topics = [...new Set(members.flatMap((m) => m.topics))]
    .filter((t) => (partitionCounts.get(t) ?? 0) > 0)
    .sort();
  const byCount = new Map<number, string[]>();
  for (const topic of topics) {
    const count = partitionCounts.get(topic)!;
    byCount.set(count, [...(byCount.get(count) ?? []), topic]);
  }
  for (const [count, group] of [...byCount].sort(([a], [b]) => a - b)) {
    const standbyHolders = new Map<number, string[]>();
    for (const m of members)
      for (const p of m.standby?.[count] ?? [])
        standbyHolders.set(p, [...(standbyHolders.get(p) ?? []), m.memberId]);
    const owners = assignSlots(count, ids, previousSlots(members, group), standbyHolders);
    for (const topic of group) {
      for (const id of ids) {
        const partitions = owners.flatMap((owner, p) => (owner === id ? [p] : []));
        if (partitions.length > 0) result.get(id)!.active.push({ topic, partitions });
      }
    }
    const standbys = assignStandbys(owners, ids, Math.min(options.standbys, ids.length - 1));
    for (const [id, partitions] of standbys)
      if (partitions.length > 0) result.get(id)!.standby[count] = partitions;
  }
  return result;
}

/** Partition number -> the member that owned it before (any topic of the group counts). */
function previousSlots(members: readonly MemberInput[], group: readonly string[]): Map<number, string> {
  const slots = new Map<number, string>();
  for (const member of [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))) {
    for (const { topic, partitions } of member.previous) {
      if (!group.includes(topic)) continue;
      for (const p of partitions) if (!slots.has(p)) slots.set(p, member.memberId);
    }
  }
  return slots;
}

/**
 * Owner per partition number: previous owners keep their partitions up to the fair share
 * (ceil, while the members holding more than floor do not exceed count % members); the rest go
 * to the least-loaded members.
 */
function assignSlots(
  count: number,
  ids: readonly string[],
  previous: ReadonlyMap<number, string>,
  standbyHolders: ReadonlyMap<number, readonly string[]> = new Map(),
): string[] {
  const floor = Math.floor(count / ids.length);
  let extra = count % ids.length; // members that may hold floor + 1
  const load = new Map(ids.map((id) => [id, 0]));
  const owners: Array<string | undefined> = new Array(count).fill(undefined);
  const capacity = (id: string) => {
    const held = load.get(id)!;
    if (held < floor) return true;
    return held === floor && extra > 0;
  };
  const give = (p: number, id: string) => {
    if (load.get(id)! === floor) extra -= 1;
    load.set(id, load.get(id)! + 1);
    owners[p] = id;
  };
  for (let p = 0; p < count; p++) {
    const owner = previous.get(p);
    if (owner !== undefined && load.has(owner) && capacity(owner)) give(p, owner);
  }
  // a partition without its owner goes to a member holding its standby copy if one has room
  for (let p = 0; p < count; p++) {
    if (owners[p] !== undefined) continue;
    const holder = (standbyHolders.get(p) ?? []).find((id) => load.has(id) && capacity(id));
    if (holder !== undefined) give(p, holder);
  }
  for (let p = 0; p < count; p++) {
    if (owners[p] !== undefined) continue;
    const id = [...ids].filter(capacity).sort((a, b) => load.get(a)! - load.get(b)! || (a < b ? -1 : 1))[0]!;
    give(p, id);
  }
  return owners as string[];
}

/** `copies` standby members per partition, never the owner, spreading the load. */
function assignStandbys(
  owners: readonly string[],
  ids: readonly string[],
  copies: number,
): Map<string, number[]> {
  const standby = new Map<string, number[]>(ids.map((id) => [id, []]));
  if (copies <= 0) return standby;
  for (let p = 0; p < owners.length; p++) {
    const candidates = ids
      .filter((id) => id !== owners[p])
      .sort((a, b) => standby.get(a)!.length - standby.get(b)!.length || (a < b ? -1 : 1));
    for (const id of candidates.slice(0, copies)) standby.get(id)!.push(p);
  }
  return standby;
}
