import type { Context, Hono } from 'hono';
import { describeError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { RETRY_AFTER_SECONDS } from './health-routes.js';
import { parseMsParam } from './table-key.js';
import type { QueryOutcome, TableQueries } from './table-queries.js';

/** Set on a query one worker forwards to another: the owner answers it or refuses, never forwards again. */
export const FORWARDED_HEADER = 'x-strom-forwarded-by';
/** The worker whose partition answered. */
export const ANSWERED_BY_HEADER = 'x-strom-answered-by';

/** How long a worker waits for the owner it forwarded a query to. */
const FORWARD_TIMEOUT_MS = 5000;

/**
 * `GET /tables`: the tables. `GET /tables/:name/:key`: a key's value.
 * `GET /tables/:name/:key/windows?fromMs=&toMs=`: a windowed table's windows of a key.
 * `GET /tables/:name/:key/current[?atMs=]`: the window of a key events go into now.
 * Answered here, or forwarded once to the owner of the key's partition; 503 with Retry-After
 * when no answer would be current (see TableQueries).
 */
export function tableRoutes(
  web: Hono,
  queries: TableQueries,
  selfUrl: () => string | undefined,
  log: Logger,
): void {
  const respond = async (c: Context, outcome: QueryOutcome): Promise<Response> => {
    switch (outcome.kind) {
      case 'answer':
        c.header(ANSWERED_BY_HEADER, selfUrl() ?? '');
        return c.json(outcome.body, outcome.status);
      case 'unavailable':
        return unavailable(c, outcome.reason);
      case 'forward':
        return forward(c, outcome.url, selfUrl() ?? '', log);
    }
  };
  const forwarded = (c: Context) => c.req.header(FORWARDED_HEADER) !== undefined;

  web.get('/tables', (c) => c.json({ tables: queries.list() }));
  web.get('/tables/:name/:key', async (c) =>
    respond(c, await queries.get(c.req.param('name'), c.req.param('key'), forwarded(c))),
  );
  web.get('/tables/:name/:key/windows', async (c) => {
    const fromMs = parseMsParam(c.req.query('fromMs')) ?? Number.NEGATIVE_INFINITY;
    const toMs = parseMsParam(c.req.query('toMs')) ?? Number.POSITIVE_INFINITY;
    if (Number.isNaN(fromMs) || Number.isNaN(toMs))
      return c.json({ error: 'fromMs and toMs are times in ms since the epoch (integers)' }, 400);
    return respond(
      c,
      await queries.windows(c.req.param('name'), c.req.param('key'), fromMs, toMs, forwarded(c)),
    );
  });
  web.get('/tables/:name/:key/current', async (c) => {
    const atMs = parseMsParam(c.req.query('atMs'));
    if (Number.isNaN(atMs))
      return c.json({ error: 'atMs is a time in ms since the epoch (an integer)' }, 400);
    return respond(c, await queries.current(c.req.param('name'), c.req.param('key'), atMs, forwarded(c)));
  });
}

/** 503 with Retry-After: the client asks again, and gets a current answer or another 503. */
function unavailable(c: Context, reason: string): Response {
  c.header('Retry-After', String(RETRY_AFTER_SECONDS));
  return c.json({ error: `not available now: ${reason}`, retryAfterSeconds: RETRY_AFTER_SECONDS }, 503);
}

/** Asks the owner the same question and passes its answer on as it is (status, body, headers). */
async function forward(c: Context, ownerUrl: string, selfUrl: string, log: Logger): Promise<Response> {
  const target = new URL(c.req.path + new URL(c.req.url).search, ownerUrl);
  try {
    const response = await fetch(target, {
      headers: { [FORWARDED_HEADER]: selfUrl, accept: 'application/json' },
      signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
    });
    const headers = new Headers({
      'content-type': response.headers.get('content-type') ?? 'application/json',
    });
    for (const name of ['retry-after', ANSWERED_BY_HEADER]) {
      const value = response.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    return new Response(await response.arrayBuffer(), { status: response.status, headers });
  } catch (error) {
    log.debug({ err: error, owner: ownerUrl }, 'forwarded table query failed');
    return unavailable(c, `the owner ${ownerUrl} did not answer (${describeError(error)})`);
  }
}
