import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { StromError } from '../errors/errors.js';
import type { AdminClient } from '../transport/types.js';

/** What `strom reset` would do, or did, to an app. */
export interface ResetPlan {
  appId: string;
  /** The app's consumer group: deleted, with every offset it committed. */
  groupId: string;
  /** Workers in the group now: a reset refuses while there are any. */
  liveMembers: Array<{ clientId: string; host: string }>;
  /** Topics the group has committed offsets on. */
  committedTopics: string[];
  /** The app's changelog and repartition topics that exist on the broker: deleted. */
  internalTopics: string[];
  /**
   * Topics named like the app's internal topics (`<appId>-*-changelog|repartition`) that the app
   * does not declare now: left alone, as they may be another app's (an app id `shop-eu` when
   * this one is `shop`) or leftovers of a renamed table or groupBy.
   */
  lookalikeTopics: string[];
  /** The app's dead-letter topics on the broker: kept, they hold records nothing processed. */
  deadLetterTopics: string[];
  /** `<stateDir>/<appId>` as an absolute path on this machine, and whether it exists. */
  stateDir: string;
  stateDirExists: boolean;
}

/** What the app knows about itself: its group, its internal and dead-letter topics, its state. */
export interface ResetSubject {
  appId: string;
  /** Changelog and repartition topics the app declares or its agents derive. */
  internalTopics: readonly string[];
  deadLetterTopics: readonly string[];
  /** Topics the agents read (where the group commits offsets). */
  sourceTopics: readonly string[];
  stateDir: string;
}

/** The broker's answer to "is it gone yet" after a topic deletion: polled this long at most. */
const DELETION_WAIT_MS = 30_000;

/**
 * The application reset (Kafka Streams' `kafka-streams-application-reset`, Faust's `reset`): the
 * app starts over from its input topics. Plans first, so a dry run shows exactly what a reset does.
 */
export class AppReset {
  constructor(
    private readonly admin: AdminClient,
    private readonly subject: ResetSubject,
  ) {}

  async plan(): Promise<ResetPlan> {
    const { appId } = this.subject;
    const onBroker = await this.admin.listTopics();
    const existing = new Set(onBroker);
    const internal = new Set(this.subject.internalTopics);
    const members = await this.admin.groupMembers(appId);
    const sources = this.subject.sourceTopics.filter((t) => existing.has(t));
    const committed = sources.length === 0 ? new Map() : await this.admin.groupOffsets(appId, sources);
    return {
      appId,
      groupId: appId,
      liveMembers: members.map((m) => ({ clientId: m.clientId, host: m.host })),
      committedTopics: [...committed]
        .filter(([, partitions]) => [...partitions.values()].some((offset) => BigInt(offset) >= 0n))
        .map(([topic]) => topic)
        .sort(),
      internalTopics: onBroker.filter((t) => internal.has(t)).sort(),
      lookalikeTopics: onBroker.filter((t) => !internal.has(t) && looksInternal(appId, t)).sort(),
      deadLetterTopics: this.subject.deadLetterTopics.filter((t) => existing.has(t)).sort(),
      stateDir: stateDirOf(this.subject.stateDir, appId),
      stateDirExists: existsSync(stateDirOf(this.subject.stateDir, appId)),
    };
  }

  /**
   * Step 1: refuse while workers are in the group (they would commit and recreate at once).
   * Step 2: delete the group: its committed offsets go, the next worker starts at `autoOffsetReset`.
   * Step 3: delete the internal topics and wait until the broker no longer lists them.
   * Step 4: delete the local state directory.
   */
  async run(): Promise<ResetPlan> {
    const plan = await this.plan();
    if (plan.liveMembers.length > 0) throw liveMembersError(plan);
    // a worker may have joined since the plan was made
    if ((await this.admin.deleteGroup(plan.groupId)) === 'has-members') {
      throw liveMembersError({ ...plan, liveMembers: await this.admin.groupMembers(plan.groupId) });
    }
    await this.admin.deleteTopics(plan.internalTopics);
    const deadline = Date.now() + DELETION_WAIT_MS;
    for (;;) {
      const left = new Set(await this.admin.listTopics());
      if (!plan.internalTopics.some((t) => left.has(t))) break;
      if (Date.now() > deadline)
        throw new StromError('TOPIC', `the broker still lists deleted topics after ${DELETION_WAIT_MS} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
    if (plan.stateDirExists) await rm(plan.stateDir, { recursive: true, force: true });
    return plan;
  }
}

function liveMembersError(plan: ResetPlan): StromError {
  const who = plan.liveMembers.map((m) => `${m.clientId}@${m.host}`).join(', ');
  const n = plan.liveMembers.length;
  return new StromError(
    'NOT_RUNNING',
    `app ${plan.appId} has ${n} live worker${n === 1 ? '' : 's'} in its group (${who}): stop ${n === 1 ? 'it' : 'them'}, then reset`,
  );
}

/** `<appId>-<name>-changelog` or `<appId>-<name>-repartition`. */
function looksInternal(appId: string, topic: string): boolean {
  if (!topic.startsWith(`${appId}-`)) return false;
  return /^.+-(changelog|repartition)$/.test(topic.slice(appId.length + 1));
}

/**
 * `<stateDir>/<appId>`, refusing an app id that would leave the state directory (`.`, `..`): a
 * reset deletes this directory recursively.
 */
function stateDirOf(stateDir: string, appId: string): string {
  const root = resolve(stateDir);
  const dir = resolve(root, appId);
  const inside = relative(root, dir);
  if (inside === '' || inside.startsWith('..') || inside.includes('/') || inside.includes('\\'))
    throw new StromError('CONFIG', `app id "${appId}" does not name a directory inside ${root}`);
  return dir;
}
