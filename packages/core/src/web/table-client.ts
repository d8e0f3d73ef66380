import { describeError, StromError } from '../errors/errors.js';

export interface TableClientOptions {
  /** How long to keep asking while workers answer 503 (rebalance, recovery). Default 10 000. */
  retryForMs?: number;
  /** Timeout of one request. Default 5000. */
  requestTimeoutMs?: number;
}

/** A window of a windowed table and its value. */
export interface WindowEntry<V> {
  startMs: number;
  endMs: number;
  value: V;
}

/** Reads one table of a running Strom app over HTTP (any worker: it routes to the owner). */
export interface TableClient<K, V> {
  /** The value of `key`, or undefined when it has none. */
  get(key: K): Promise<V | undefined>;
  /** A windowed table's windows of `key` starting in [fromMs, toMs) (default: all), oldest first. */
  windows(key: K, range?: { fromMs?: number; toMs?: number }): Promise<Array<WindowEntry<V>>>;
  /** The window of `key` holding `atMs` (default: the partition's stream time), if any. */
  current(key: K, atMs?: number): Promise<WindowEntry<V> | undefined>;
}

/**
 * A typed client of a table's interactive queries (docs/web.md), for other TypeScript
 * services. Give it the web URL of any worker of the app (or several, tried in turn): the
 * worker forwards to the owner of the key. A 503 (rebalance, recovery) is retried after its
 * Retry-After for up to `retryForMs`; then, or when no worker answers, it throws a
 * `StromError` with code `NOT_RUNNING`.
 *
 * @example
 * const vendorRides = createTableClient<number, number>('http://127.0.0.1:6066', 'vendor_rides')
 * const rides = await vendorRides.get(2) // undefined when vendor 2 has no rides yet
 */
export function createTableClient<K, V>(
  url: string | readonly string[],
  table: string,
  options: TableClientOptions = {},
): TableClient<K, V> {
  const urls = typeof url === 'string' ? [url] : [...url];
  if (urls.length === 0) throw new StromError('USAGE', `no worker URL to ask about table "${table}"`);
  const retryForMs = options.retryForMs ?? 10_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 5000;
  const path = (key: K, rest = '') =>
    `/tables/${encodeURIComponent(table)}/${encodeURIComponent(JSON.stringify(key))}${rest}`;

  /** The JSON body of a 200, or undefined for a 404; retries 503s, tries the next URL on errors. */
  const ask = async (pathAndQuery: string): Promise<Record<string, unknown> | undefined> => {
    const deadline = Date.now() + retryForMs;
    let last = 'no answer';
    for (let attempt = 0; ; attempt++) {
      const base = urls[attempt % urls.length]!;
      let waitMs = 200;
      try {
        const response = await fetch(new URL(pathAndQuery, base), {
          headers: { accept: 'application/json' },
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
        const body = (await response.json()) as Record<string, unknown>;
        if (response.status === 200) return body;
        if (response.status === 404 && 'key' in body) return undefined;
        last = String(body.error ?? `HTTP ${response.status}`);
        if (response.status !== 503) throw new StromError('USAGE', `table "${table}": ${last}`);
        waitMs = Number(response.headers.get('retry-after') ?? '1') * 1000;
      } catch (error) {
        if (error instanceof StromError) throw error;
        last = `${base} did not answer: ${describeError(error)}`;
      }
      if (Date.now() + waitMs > deadline)
        throw new StromError(
          'NOT_RUNNING',
          `table "${table}": no current answer within ${retryForMs} ms (${last})`,
        );
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  };

  return {
    async get(key) {
      return (await ask(path(key)))?.value as V | undefined;
    },
    async windows(key, range = {}) {
      const query = new URLSearchParams();
      if (range.fromMs !== undefined) query.set('fromMs', String(range.fromMs));
      if (range.toMs !== undefined) query.set('toMs', String(range.toMs));
      const body = await ask(path(key, `/windows${query.size > 0 ? `?${query}` : ''}`));
      return (body?.windows ?? []) as Array<WindowEntry<V>>;
    },
    async current(key, atMs) {
      const body = await ask(path(key, `/current${atMs === undefined ? '' : `?atMs=${atMs}`}`));
      return body?.window as WindowEntry<V> | undefined;
    },
  };
}
