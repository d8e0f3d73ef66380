/**
 * Offset commits off the fetch path: at most one commit request in flight, and the offsets
 * resolved while it is out go in the next one. kafkajs' own auto-commit commits after every
 * batch and fetches again only once that commit returned, so each hop of a record at a low rate
 * waited a broker round trip plus the group coordinator's append linger (5 ms): p50 65-90 ms
 * through a groupBy on the bench's probe (bench/hot-path-changes.md, 2026-12-04).
 */
export class BackgroundCommits {
  private commitResolved: (() => Promise<void>) | undefined;
  private inFlight: Promise<void> | undefined;
  private requestedMeanwhile = false;
  private lastFailed = false;
  /** When the commit in flight was sent (performance.now()). */
  private sentAt = 0;

  constructor(private readonly maxAheadMs: number) {}

  /** The function that commits every offset resolved and not yet committed. */
  use(commitResolved: () => Promise<void>): void {
    this.commitResolved = commitResolved;
  }

  /**
   * After a batch. `pipelined`: asks for a commit of it; the next fetch overlaps that commit. Only
   * when the commit in flight has been out longer than `maxAheadMs` (a coordinator that does not
   * answer) does the batch wait for it, so a crash redoes at most that much more than with
   * kafkajs' own commits. Waiting for every commit cost the latency back (p50 14-41 ms instead
   * of 3-4 at 200 rides/s). After a failed commit, it commits at once and throws the error to the
   * caller, kafkajs' runner, which retries, finds the coordinator again or restarts the
   * consumer, as when its own commit fails.
   */
  async afterBatch(timing: 'pipelined' | 'interval'): Promise<void> {
    if (timing === 'pipelined')
      while (this.inFlight !== undefined && performance.now() - this.sentAt > this.maxAheadMs)
        await this.inFlight;
    if (this.lastFailed) {
      while (this.inFlight !== undefined) await this.inFlight;
      await this.commitResolved?.();
      this.lastFailed = false;
    } else if (timing === 'pipelined') this.request();
  }

  /** Commits what is resolved now, or as soon as the commit in flight returns. */
  request(): void {
    if (this.inFlight !== undefined) {
      this.requestedMeanwhile = true;
      return;
    }
    this.inFlight = this.sendUntilCaughtUp();
  }

  /**
   * Sends a commit at once, beside any in flight. Before a rebalance this member's commit must
   * reach the coordinator ahead of its JoinGroup request (same connection, served in order):
   * a commit queued behind one in flight could arrive after the new generation is formed and
   * be refused, and the next owner would then process those records again.
   */
  now(): Promise<void> {
    return this.send();
  }

  /** Waits for the commit in flight, then commits what is resolved (a stop's last commit). */
  async flush(): Promise<void> {
    while (this.inFlight !== undefined) await this.inFlight;
    await this.send();
  }

  private async sendUntilCaughtUp(): Promise<void> {
    do {
      this.requestedMeanwhile = false;
      await this.send();
    } while (this.requestedMeanwhile);
    this.inFlight = undefined;
  }

  private async send(): Promise<void> {
    // a refused or failed commit loses nothing: the offsets stay resolved and the next commit
    // carries them; if none comes, the next owner processes those records again (at least once)
    this.sentAt = performance.now();
    try {
      await this.commitResolved?.();
      this.lastFailed = false;
    } catch {
      this.lastFailed = true;
    }
  }
}
