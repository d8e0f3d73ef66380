import { readFile } from 'node:fs/promises';
import type { Context } from 'hono';
import type { Logger } from '../../logging/logger.js';
import type { RecoveryReport } from '../../tables/table-manager.js';
import type { AdminClient } from '../../transport/types.js';
import type { RecentDeadLetter } from '../../worker/dead-letters.js';
import type { WorkerState } from '../../worker/worker-description.js';
import type { WebRoutes } from '../web-server.js';
import { DashboardFeed, type TableRecoveryProgress } from './dashboard-feed.js';
import { OffsetSampler } from './offset-sampler.js';
import type { TopologySource } from './topology.js';

/**
 * The page's files, shipped in the package beside `dist/` and `src/` (both are three levels
 * below the package root): plain HTML, CSS and JS, no build step.
 */
const ASSETS_DIR = new URL('../../../dashboard/', import.meta.url);
const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '': { file: 'index.html', type: 'text/html; charset=utf-8' },
  'dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
};

/** The least time between two offset reads, and how many points a chart keeps (5 minutes). */
const SAMPLE_INTERVAL_MS = 1000;
const CHART_POINTS = 300;

export interface DashboardOptions {
  appId: string;
  groupId: string;
  state: () => WorkerState;
  /** The worker's admin client; called only while the worker runs. */
  admin: () => Pick<AdminClient, 'topicOffsets' | 'groupOffsets'>;
  /** The topics the agents read (charted per partition). */
  inputTopics: () => readonly string[];
  topology: () => TopologySource;
  recoveriesInProgress: () => readonly TableRecoveryProgress[];
  recoveries: () => readonly RecoveryReport[];
  deadLetters: () => readonly RecentDeadLetter[];
  log: Logger;
}

/**
 * The dashboard of a worker: `GET /dashboard/` (the page; `/` leads there) and
 * `GET /dashboard/api/snapshot` (what the page polls every second). Table lookups go to the
 * table routes (`/tables/...`).
 */
export function dashboardRoutes(options: DashboardOptions): WebRoutes {
  const sampler = new OffsetSampler({
    admin: {
      topicOffsets: (topic) => options.admin().topicOffsets(topic),
      groupOffsets: (groupId, topics) => options.admin().groupOffsets(groupId, topics),
    },
    groupId: options.groupId,
    topics: options.inputTopics,
    intervalMs: SAMPLE_INTERVAL_MS,
    maxPoints: CHART_POINTS,
    log: options.log,
  });
  const feed = new DashboardFeed({ ...options, sampler });
  const files = new Map<string, Promise<string>>();
  const asset = (name: string) => {
    let text = files.get(name);
    if (text === undefined) {
      text = readFile(new URL(name, ASSETS_DIR), 'utf8');
      files.set(name, text);
      text.catch(() => files.delete(name)); // a missing file is retried, not cached
    }
    return text;
  };
  return (web) => {
    web.get('/', (c) => c.redirect('/dashboard/'));
    web.get('/dashboard', (c) => c.redirect('/dashboard/'));
    web.get('/dashboard/api/snapshot', async (c) => {
      c.header('Cache-Control', 'no-store');
      return c.json(await feed.snapshot());
    });
    const serve = (name: string) => async (c: Context) => {
      const found = ASSETS[name];
      if (found === undefined) return c.json({ error: `no dashboard file ${c.req.path}` }, 404);
      c.header('Content-Type', found.type);
      return c.body(await asset(found.file));
    };
    web.get('/dashboard/', (c) => serve('')(c));
    web.get('/dashboard/:file{[a-z.]+}', (c) => serve(c.req.param('file'))(c));
  };
}
