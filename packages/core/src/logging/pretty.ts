/**
 * The console format of log lines on a terminal: `12:04:05.120 INFO  worker started agents=2`.
 * pino writes JSON; this destination turns each line into time, level, message and key=value
 * fields (pino-pretty would do it too, with a dozen dependencies for one format).
 */
import type { DestinationStream } from 'pino';

export interface PrettyOptions {
  /** ANSI colors for the level (on a terminal unless NO_COLOR is set). */
  color: boolean;
}

const LEVELS: Record<number, { label: string; color: string }> = {
  10: { label: 'TRACE', color: '\x1b[90m' },
  20: { label: 'DEBUG', color: '\x1b[36m' },
  30: { label: 'INFO ', color: '\x1b[32m' },
  40: { label: 'WARN ', color: '\x1b[33m' },
  50: { label: 'ERROR', color: '\x1b[31m' },
  60: { label: 'FATAL', color: '\x1b[35m' },
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';

/** Fields every line has, or that say the same on every line of one process. */
const HIDDEN = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'name', 'app']);

/** A field value as written after `key=`: bare when it has no space, quote or `=`, else JSON. */
function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (isSerializedError(value)) return JSON.stringify(`${value.type}: ${value.message}`);
  return JSON.stringify(value) ?? String(value);
}

/** pino's shape of an Error: the stack stays in the JSON format, the console shows the message. */
function isSerializedError(value: unknown): value is { type: string; message: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    typeof (value as { message?: unknown }).message === 'string' &&
    'stack' in value
  );
}

function formatTime(epochMs: unknown): string {
  const date = typeof epochMs === 'number' ? new Date(epochMs) : new Date();
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/**
 * One pino JSON line as one console line (ending in a newline). A line that is not a JSON object
 * is written as it came.
 *
 * @example
 * formatLogLine('{"level":30,"time":0,"msg":"worker started","agents":2}', { color: false })
 * // '00:00:00.000 INFO  worker started agents=2\n' (in the local time zone)
 */
export function formatLogLine(line: string, options: PrettyOptions): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return ensureNewline(line);
    entry = parsed as Record<string, unknown>;
  } catch {
    return ensureNewline(line);
  }
  const level = LEVELS[entry.level as number] ?? { label: String(entry.level).padEnd(5), color: '' };
  const fields = Object.entries(entry)
    .filter(([key, value]) => !HIDDEN.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  const time = formatTime(entry.time);
  const label = options.color && level.color ? `${level.color}${level.label}${RESET}` : level.label;
  const parts = [options.color ? `${DIM}${time}${RESET}` : time, label];
  if (typeof entry.msg === 'string' && entry.msg !== '') parts.push(entry.msg);
  if (fields.length > 0) parts.push(options.color ? `${DIM}${fields.join(' ')}${RESET}` : fields.join(' '));
  return `${parts.join(' ')}\n`;
}

function ensureNewline(line: string): string {
  return line.endsWith('\n') ? line : `${line}\n`;
}

/** A pino destination writing console lines to `out` (pino writes one JSON line per call). */
export function prettyDestination(out: DestinationStream, options: PrettyOptions): DestinationStream {
  return { write: (line: string) => out.write(formatLogLine(line.trimEnd(), options)) };
}
