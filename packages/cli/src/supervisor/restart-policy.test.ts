import { describe, expect, it } from 'vitest';
import { RestartPolicy } from './restart-policy.js';

const policy = () =>
  new RestartPolicy({ firstDelayMs: 100, maxDelayMs: 350, windowMs: 10_000, maxCrashes: 4 });

describe('RestartPolicy', () => {
  it('doubles the delay per recent crash, up to the maximum', () => {
    const p = policy();
    expect(p.onCrash(0, 0)).toEqual({ restart: true, delayMs: 100, recentCrashes: 1 });
    expect(p.onCrash(0, 1000)).toEqual({ restart: true, delayMs: 200, recentCrashes: 2 });
    expect(p.onCrash(0, 2000)).toEqual({ restart: true, delayMs: 350, recentCrashes: 3 });
  });

  it('gives up after maxCrashes within the window', () => {
    const p = policy();
    for (let i = 0; i < 3; i++) expect(p.onCrash(0, i).restart).toBe(true);
    expect(p.onCrash(0, 3)).toEqual({ restart: false, recentCrashes: 4 });
  });

  it('forgets crashes older than the window, and counts each child apart', () => {
    const p = policy();
    for (let i = 0; i < 3; i++) p.onCrash(0, i);
    expect(p.onCrash(1, 5)).toEqual({ restart: true, delayMs: 100, recentCrashes: 1 });
    expect(p.onCrash(0, 20_000)).toEqual({ restart: true, delayMs: 100, recentCrashes: 1 });
  });
});
