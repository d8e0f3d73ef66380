import { describe, expect, it } from 'vitest';
import { lineSplitter, tagLine } from './child-output.js';

describe('tagLine', () => {
  it('adds a process field to a JSON log line', () => {
    const line = tagLine('{"level":30,"msg":"worker running"}', 1, { json: true, color: false });
    expect(JSON.parse(line)).toEqual({ process: 1, level: 30, msg: 'worker running' });
  });

  it('turns a JSON log line into a console line showing the process', () => {
    const line = tagLine('{"level":30,"time":0,"msg":"worker running"}', 2, { json: false, color: false });
    expect(line).toMatch(/INFO +worker running process=2\n$/);
  });

  it('prefixes other lines with the index', () => {
    expect(tagLine('vendor 1: 3 paid rides', 0, { json: true, color: false })).toBe(
      '[0] vendor 1: 3 paid rides\n',
    );
  });
});

describe('lineSplitter', () => {
  it('joins lines split across chunks and keeps the unterminated end for end()', () => {
    const lines: string[] = [];
    const splitter = lineSplitter((l) => lines.push(l));
    splitter.push(Buffer.from('one\ntw'));
    splitter.push(Buffer.from('o\n\nthr'));
    expect(lines).toEqual(['one', 'two']);
    splitter.end();
    expect(lines).toEqual(['one', 'two', 'thr']);
  });
});
