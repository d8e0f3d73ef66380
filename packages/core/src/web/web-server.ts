import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { ConfigError, describeError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import type { WorkerView } from './worker-view.js';

/**
 * Adds routes to a worker's web server. Strom's own routes are installers too (see
 * routes.ts); an app adds its own with `app.addWebRoutes(...)`.
 *
 * @example
 * app.addWebRoutes((web, worker) => {
 *   web.get('/hello', (c) => c.json({ app: worker.appId }))
 * })
 */
export type WebRoutes = (web: Hono, worker: WorkerView) => void;

export interface WebServerOptions {
  host: string;
  port: number;
  /** The URL other workers reach this one at; default http://host:port (the port it got). */
  url: string | undefined;
  routes: readonly WebRoutes[];
  worker: WorkerView;
  log: Logger;
}

/**
 * The HTTP server of one worker (hono on node:http): built at construction, listening from
 * start() to stop(). A port in use fails start() with a one-line ConfigError naming the setting.
 */
export class WebServer {
  readonly hono = new Hono();
  private readonly server: ReturnType<typeof createAdaptorServer>;
  private readonly options: WebServerOptions;
  private listeningUrl: string | undefined;

  constructor(options: WebServerOptions) {
    this.options = options;
    const log = options.log;
    this.hono.onError((error, c) => {
      // a route's bug is an answer, never a crash of the worker or a stack trace to the caller
      log.warn({ err: error, path: c.req.path }, 'web request failed');
      return c.json({ error: describeError(error) }, 500);
    });
    this.hono.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));
    for (const install of options.routes) install(this.hono, options.worker);
    this.server = createAdaptorServer({ fetch: this.hono.fetch });
  }

  /** The URL other workers reach this one at; set once listening. */
  get url(): string | undefined {
    return this.listeningUrl;
  }

  /** Listens on host:port; resolves with the URL other workers reach it at. */
  start(): Promise<string> {
    const { host, port } = this.options;
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        this.server.off('listening', onListening);
        reject(
          error.code === 'EADDRINUSE'
            ? new ConfigError(
                `webPort ${port} on ${host} is in use: set webPort to a free port (or web: false)`,
              )
            : new ConfigError(
                `the web server cannot listen on ${host}:${port} (webHost, webPort): ${error.message}`,
                {
                  cause: error,
                },
              ),
        );
      };
      const onListening = () => {
        this.server.off('error', onError);
        const address = this.server.address() as AddressInfo;
        this.listeningUrl = this.options.url ?? `http://${urlHost(host)}:${address.port}`;
        this.server.on('error', (e) => this.options.log.warn({ err: e }, 'web server error'));
        this.options.log.info({ url: this.listeningUrl }, 'web server listening');
        resolve(this.listeningUrl);
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen(port, host);
    });
  }

  /** Stops listening and ends open connections. */
  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    if ('closeAllConnections' in this.server) this.server.closeAllConnections();
    await closed;
  }
}

/** 0.0.0.0 and :: listen everywhere but are no address to call: others use the loopback. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
