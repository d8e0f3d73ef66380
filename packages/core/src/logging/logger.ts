import { pino } from 'pino';

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

export function createLogger(options: { name: string; level?: LogLevel }): Logger {
  return pino({ name: options.name, level: options.level ?? defaultLogLevel(), base: { app: options.name } });
}
