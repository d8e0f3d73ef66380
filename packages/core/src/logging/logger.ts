import { pino } from 'pino';
import { prettyDestination } from './pretty.js';

/**
 * The one logger type Strom passes around: pino's, so users can hand in their own
 * (`new App({ logger })`) and get structured JSON lines with `{ topic, partition, offset }`.
 */
export type Logger = pino.Logger;

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Level from `STROM_LOG_LEVEL` when set, else `info`. */
export function defaultLogLevel(): LogLevel {
  const fromEnv = process.env.STROM_LOG_LEVEL;
  return fromEnv && (LOG_LEVELS as readonly string[]).includes(fromEnv) ? (fromEnv as LogLevel) : 'info';
}

/** `json`: one JSON object a line; `pretty`: a console line; `auto`: pretty on a terminal, else JSON. */
export type LogFormat = 'json' | 'pretty' | 'auto';

export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty', 'auto'];

/**
 * A pino logger writing to stdout, as JSON lines or, on a terminal, as console lines.
 *
 * @example
 * const log = createLogger({ name: 'shop', level: 'debug', format: 'pretty' })
 */
export function createLogger(options: { name: string; level?: LogLevel; format?: LogFormat }): Logger {
  const settings = {
    name: options.name,
    level: options.level ?? defaultLogLevel(),
    base: { app: options.name },
  };
  const format = options.format ?? 'auto';
  if (format === 'json' || (format === 'auto' && !process.stdout.isTTY)) return pino(settings);
  // NO_COLOR (no-color.org) turns colors off; a pretty format asked for off a terminal has none
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  return pino(settings, prettyDestination(pino.destination(1), { color }));
}
