import type { WebRoutes } from './web-server.js';

/** Seconds a client should wait before asking a worker that is not ready again. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * `/health`: the process answers (liveness: restart it when this fails).
 * `/ready`: every assigned partition is current (readiness: send it queries when this is 200).
 */
export const healthRoutes: WebRoutes = (web, worker) => {
  web.get('/health', (c) => c.json({ status: 'ok', app: worker.appId, state: worker.state }));
  web.get('/ready', (c) => {
    const reason = worker.notReady();
    if (reason === undefined) return c.json({ status: 'ready', app: worker.appId });
    c.header('Retry-After', String(RETRY_AFTER_SECONDS));
    return c.json({ status: 'not ready', app: worker.appId, reason }, 503);
  });
};
