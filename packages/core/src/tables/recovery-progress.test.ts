import { describe, expect, it } from 'vitest';
import { progressBar, progressFields } from './recovery-progress.js';

describe('recovery progress', () => {
  it('reports rate and ETA from what was read so far', () => {
    const fields = progressFields({ label: 't[0]', read: 5000, total: 20_000, startedAt: 0 }, 2000);
    expect(fields).toEqual({ read: 5000, total: 20_000, recordsPerSec: 2500, etaSec: 6 });
  });

  it('draws a bar proportional to the records read', () => {
    const bar = progressBar({ label: 'counts[1]', read: 50, total: 100, startedAt: 0 }, 10, 1000);
    expect(bar).toBe('counts[1] [#####.....] 50% 50/100 50 rec/s ETA 1s');
  });
});
