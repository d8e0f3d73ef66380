/** When a crashed child process is started again, and when the supervisor stops trying. */
export interface RestartPolicyOptions {
  /** Wait before the first restart; each crash within `windowMs` doubles it. */
  firstDelayMs: number;
  /** The longest wait between a crash and the restart. */
  maxDelayMs: number;
  /** Crashes of one child within this window count towards a crash loop. */
  windowMs: number;
  /** This many crashes of one child within `windowMs` is a crash loop: no more restarts. */
  maxCrashes: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  firstDelayMs: 500,
  maxDelayMs: 30_000,
  windowMs: 60_000,
  maxCrashes: 5,
};

/** What to do after a crash: restart after `delayMs`, or give up (a crash loop). */
export type RestartDecision =
  | { restart: true; delayMs: number; recentCrashes: number }
  | { restart: false; recentCrashes: number };

/**
 * Exponential backoff per child with crash-loop detection, like a process manager's: a child
 * that keeps dying right after start is not restarted forever (each restart rejoins the
 * group and makes every other member rebalance).
 *
 * @example
 * const policy = new RestartPolicy(DEFAULT_RESTART_POLICY)
 * policy.onCrash(0, Date.now()) // { restart: true, delayMs: 500, recentCrashes: 1 }
 */
export class RestartPolicy {
  private readonly crashes = new Map<number, number[]>();

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  onCrash(child: number, nowMs: number): RestartDecision {
    const { firstDelayMs, maxDelayMs, windowMs, maxCrashes } = this.options;
    const recent = (this.crashes.get(child) ?? []).filter((at) => nowMs - at < windowMs);
    recent.push(nowMs);
    this.crashes.set(child, recent);
    if (recent.length >= maxCrashes) return { restart: false, recentCrashes: recent.length };
    const delayMs = Math.min(maxDelayMs, firstDelayMs * 2 ** (recent.length - 1));
    return { restart: true, delayMs, recentCrashes: recent.length };
  }
}
