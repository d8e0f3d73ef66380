import { describe, expect, it } from 'vitest';
import { BackgroundCommits } from './background-commits.js';

/** A commit function whose calls stay open until the test settles them. */
function controlledCommits() {
  const calls: { settle: (error?: Error) => void }[] = [];
  const commit = () =>
    new Promise<void>((resolve, reject) => {
      calls.push({ settle: (error) => (error ? reject(error) : resolve()) });
    });
  return { calls, commit };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('BackgroundCommits', () => {
  it('sends one commit at a time and one more for everything requested while it was out', async () => {
    const { calls, commit } = controlledCommits();
    const commits = new BackgroundCommits(1000);
    commits.use(commit);
    commits.request();
    commits.request();
    commits.request();
    expect(calls).toHaveLength(1);
    calls[0]!.settle();
    await turn();
    expect(calls).toHaveLength(2);
    calls[1]!.settle();
    await turn();
    expect(calls).toHaveLength(2);
    commits.request();
    expect(calls).toHaveLength(3);
  });

  it('sends a commit at once beside one in flight when asked now (before a rebalance)', async () => {
    const { calls, commit } = controlledCommits();
    const commits = new BackgroundCommits(1000);
    commits.use(commit);
    commits.request();
    void commits.now();
    expect(calls).toHaveLength(2);
  });

  it('keeps committing after a commit failed', async () => {
    const { calls, commit } = controlledCommits();
    const commits = new BackgroundCommits(1000);
    commits.use(commit);
    commits.request();
    commits.request();
    calls[0]!.settle(new Error('REBALANCE_IN_PROGRESS'));
    await turn();
    expect(calls).toHaveLength(2);
  });

  it('flush waits for the commit in flight and then commits what was resolved', async () => {
    const { calls, commit } = controlledCommits();
    const commits = new BackgroundCommits(1000);
    commits.use(commit);
    commits.request();
    let flushed = false;
    const flushing = commits.flush().then(() => {
      flushed = true;
    });
    await turn();
    expect(calls).toHaveLength(1);
    calls[0]!.settle();
    await turn();
    expect(calls).toHaveLength(2);
    expect(flushed).toBe(false);
    calls[1]!.settle();
    await flushing;
    expect(flushed).toBe(true);
  });

  it('commits nothing before it is given a commit function', async () => {
    const commits = new BackgroundCommits(1000);
    commits.request();
    await expect(commits.flush()).resolves.toBeUndefined();
  });
});

describe('BackgroundCommits after a failed commit', () => {
  it('commits at once after the next batch and throws its error, so batches do not pile up uncommitted', async () => {
    const { calls, commit } = controlledCommits();
    const commits = new BackgroundCommits(1000);
    commits.use(commit);
    await commits.afterBatch('pipelined');
    calls[0]!.settle(new Error('NOT_COORDINATOR'));
    await turn();
    const next = commits.afterBatch('pipelined');
    await turn();
    expect(calls).toHaveLength(2);
    calls[1]!.settle(new Error('connection refused'));
    await expect(next).rejects.toThrow('connection refused');
    // still failed: the batch after waits again, and a success ends the blocking
    const third = commits.afterBatch('pipelined');
    await turn();
    calls[2]!.settle();
    await third;
    await commits.afterBatch('pipelined');
    expect(calls).toHaveLength(4);
  });
});

describe('BackgroundCommits.afterBatch, pipelined', () => {
  it('does not wait for a commit in flight, unless it has been out longer than maxAheadMs', async () => {
    const { calls, commit } = controlledCommits();
    const quick = new BackgroundCommits(1000);
    quick.use(commit);
    await quick.afterBatch('pipelined');
    await quick.afterBatch('pipelined');
    expect(calls).toHaveLength(1);

    const slow = new BackgroundCommits(5);
    slow.use(commit);
    await slow.afterBatch('pipelined');
    expect(calls).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 20));
    let done = false;
    const next = slow.afterBatch('pipelined').then(() => {
      done = true;
    });
    await turn();
    expect(done).toBe(false);
    calls[1]!.settle();
    await next;
    expect(calls).toHaveLength(3);
  });
});
