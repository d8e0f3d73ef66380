import { parseAssignmentData } from '../assignor/strom-assignor.js';
import type { GroupMember } from '../transport/types.js';

/** Who holds a partition now, and where its web server answers. */
export interface PartitionOwner {
  memberId: string;
  /** Undefined when the member runs no web server (web: false) or an older Strom. */
  url: string | undefined;
}

/**
 * The owners of the group's partitions as one description of the group showed them: per
 * partition count (co-partitioned topics and changelogs share owners), partition -> member.
 */
export class PartitionOwners {
  private readonly byCount = new Map<number, Map<number, PartitionOwner>>();

  constructor(
    members: readonly GroupMember[],
    partitionCount: (topic: string) => number | undefined,
    webUrlOf: (member: GroupMember) => string | undefined,
  ) {
    for (const member of members) {
      const owner = { memberId: member.memberId, url: webUrlOf(member) };
      for (const { topic, partitions } of member.assignment) {
        const count = partitionCount(topic);
        if (count === undefined) continue;
        let owners = this.byCount.get(count);
        if (!owners) this.byCount.set(count, (owners = new Map()));
        for (const p of partitions) owners.set(p, owner);
      }
    }
  }

  /** The owner of `partition` of a table or topic with `count` partitions, if any member has it. */
  ownerOf(count: number, partition: number): PartitionOwner | undefined {
    return this.byCount.get(count)?.get(partition);
  }

  /** True when no member has partitions: the group is between two generations. */
  get empty(): boolean {
    return this.byCount.size === 0;
  }
}

/** The web URLs of the group's members that run a web server, from their assignment data. */
export function memberWebUrls(members: readonly GroupMember[]): string[] {
  const urls = members.map((m) => parseAssignmentData(m.userData).webUrl);
  return [...new Set(urls.filter((url): url is string => url !== undefined))];
}
