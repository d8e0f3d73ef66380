import { formatLogLine } from '@strom/core/cli-support';

/** How the supervisor writes its children's lines: as JSON, or as console lines. */
export interface ChildOutputOptions {
  /** JSON log lines stay JSON (with a `process` field); else they become console lines. */
  json: boolean;
  /** ANSI colors for console lines. */
  color: boolean;
}

/**
 * One line a child printed, tagged with the child's index: a JSON log line gets a `process`
 * field (first, so it reads at a glance), any other line a `[i] ` prefix. Ends in a newline.
 *
 * @example
 * tagLine('{"level":30,"msg":"worker running"}', 1, { json: true, color: false })
 * // '{"process":1,"level":30,"msg":"worker running"}\n'
 */
export function tagLine(line: string, index: number, options: ChildOutputOptions): string {
  if (line.startsWith('{') && line.endsWith('}')) {
    const tagged = `{"process":${index},${line.slice(1)}`;
    return options.json ? `${tagged}\n` : formatLogLine(tagged, { color: options.color });
  }
  return `[${index}] ${line}\n`;
}

/**
 * Splits a child's output stream into lines (a chunk may end mid-line) and hands each to
 * `onLine`; what is left without a newline at the end is handed over by the returned `end`.
 */
export function lineSplitter(onLine: (line: string) => void): {
  push(chunk: Buffer): void;
  end(): void;
} {
  let rest = '';
  return {
    push(chunk) {
      const text = rest + chunk.toString('utf8');
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.length > 0) onLine(line);
    },
    end() {
      if (rest.length > 0) onLine(rest);
      rest = '';
    },
  };
}
