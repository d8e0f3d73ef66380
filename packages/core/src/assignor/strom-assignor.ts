import type { Assignment, GroupAssignor } from '../transport/types.js';
import { assignCopartitioned } from './copartitioned.js';

interface JoinData {
  previous: Assignment[];
  standby: Record<number, number[]>;
  /** Where this member's web server answers (when it runs one). */
  webUrl?: string;
}

/** What each member learns besides its partitions: the table partitions to keep standby copies of. */
export interface AssignmentData {
  standby: Record<number, number[]>;
  /**
   * The member's own web address, sent back in its assignment so that anyone describing the
   * group learns who owns which partition and where to ask (routed table queries).
   */
  webUrl?: string;
}

export const STROM_ASSIGNOR_NAME = 'strom-copartitioned';

/**
 * The group assignor of Strom workers: co-partitioned and sticky (see copartitioned.ts). Each
 * member sends what it owned before; the leader answers with partitions and standby duties.
 */
export function stromAssignor(options: {
  standbys: number;
  current: () => Assignment[];
  /** The standby copies this member keeps now (per partition count). */
  currentStandby: () => Record<number, number[]>;
  /** This member's web server URL, if it runs one. */
  webUrl?: () => string | undefined;
}): GroupAssignor {
  return {
    name: STROM_ASSIGNOR_NAME,
    version: 1,
    userData: () =>
      Buffer.from(
        JSON.stringify({
          previous: options.current(),
          standby: options.currentStandby(),
          webUrl: options.webUrl?.(),
        } satisfies JoinData),
      ),
    assign(members, partitionCounts) {
      const inputs = members.map((m) => ({
        memberId: m.memberId,
        topics: m.topics,
        ...parseJoinData(m.userData),
      }));
      const result = assignCopartitioned(inputs, partitionCounts, { standbys: options.standbys });
      const webUrls = new Map(inputs.map((m) => [m.memberId, m.webUrl]));
      return new Map(
        [...result].map(([memberId, a]) => [
          memberId,
          {
            assignment: a.active,
            userData: Buffer.from(
              JSON.stringify({ standby: a.standby, webUrl: webUrls.get(memberId) } satisfies AssignmentData),
            ),
          },
        ]),
      );
    },
  };
}

function parseJoinData(bytes: Buffer): JoinData {
  try {
    const data = JSON.parse(bytes.toString('utf8')) as Partial<JoinData>;
    return {
      previous: Array.isArray(data.previous) ? data.previous : [],
      standby: typeof data.standby === 'object' && data.standby !== null ? data.standby : {},
      ...(typeof data.webUrl === 'string' ? { webUrl: data.webUrl } : {}),
    };
  } catch {
    return { previous: [], standby: {} }; // a member of another version: treat as new
  }
}

export function parseAssignmentData(bytes: Buffer | undefined): AssignmentData {
  if (!bytes || bytes.length === 0) return { standby: {} };
  try {
    const data = JSON.parse(bytes.toString('utf8')) as Partial<AssignmentData>;
    return {
      standby: data.standby ?? {},
      ...(typeof data.webUrl === 'string' ? { webUrl: data.webUrl } : {}),
    };
  } catch {
    return { standby: {} };
  }
}
