import type { Hono } from 'hono';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';

/** `GET /metrics`: the worker's metrics in Prometheus' text format (docs/web.md lists them). */
export function metricsRoutes(web: Hono, metrics: WorkerMetrics): void {
  web.get('/metrics', async (c) => {
    const { body, contentType } = await metrics.scrape();
    return c.body(body, 200, { 'content-type': contentType });
  });
}
