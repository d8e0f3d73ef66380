import { describe, expect, it } from 'vitest';
import {
  decodeWindowedKey,
  encodeWindowedKey,
  scanWindows,
  tryDecodeWindowedKey,
  windowKeyPrefix,
} from './key.js';

describe('windowed keys: the JSON text of [key, startMs, endMs]', () => {
  it('encodes like JSON.stringify([key, start, end]) and decodes back', () => {
    const cases: unknown[] = ['vendor-1', 42, { zone: 'a,b', id: 7 }, ['x', 1], 'quote " and ]', null, true];
    for (const key of cases) {
      const text = encodeWindowedKey(key, { startMs: -60_000, endMs: 0 });
      expect(text).toBe(JSON.stringify([key, -60_000, 0]));
      expect(decodeWindowedKey(text)).toEqual({ key, window: { startMs: -60_000, endMs: 0 } });
    }
    expect(encodeWindowedKey('v', { startMs: 60_000, endMs: 120_000 })).toBe('["v",60000,120000]');
  });

  it('refuses keys without a JSON form and windows that are not windows', () => {
    expect(() => encodeWindowedKey(undefined, { startMs: 0, endMs: 1 })).toThrow(/JSON form/);
    expect(() => encodeWindowedKey('k', { startMs: 5, endMs: 5 })).toThrow(/not a window/);
    expect(() => encodeWindowedKey('k', { startMs: 0.5, endMs: 5 })).toThrow(/not a window/);
    expect(() => encodeWindowedKey('k', { startMs: Number.NaN, endMs: 5 })).toThrow(/not a window/);
  });

  it('decoding rejects anything else with the text in the message', () => {
    for (const text of ['"k"', '["k",1]', '["k",1,2,3]', '["k",2,1]', '["k","1",2]', 'nope', '["k",1.5,2]']) {
      expect(tryDecodeWindowedKey(text)).toBeUndefined();
      expect(() => decodeWindowedKey(text)).toThrow(text);
    }
  });

  it('all windows of a key share a prefix that no other key has', () => {
    expect(windowKeyPrefix('a')).toBe('["a",');
    const ids = [
      encodeWindowedKey('a', { startMs: 0, endMs: 10 }),
      encodeWindowedKey('ab', { startMs: 0, endMs: 10 }),
      encodeWindowedKey(1, { startMs: 0, endMs: 10 }),
      encodeWindowedKey(10, { startMs: 0, endMs: 10 }),
    ];
    expect(ids.filter((id) => id.startsWith(windowKeyPrefix('a')))).toEqual(['["a",0,10]']);
    expect(ids.filter((id) => id.startsWith(windowKeyPrefix(1)))).toEqual(['[1,0,10]']);
  });
});

describe('scanWindows: the windows of a key in [from, to)', () => {
  const ids = [
    '["a",100,110]',
    '["a",-10,0]',
    '["a",90,100]',
    '["a",5,15]',
    '["b",0,10]',
    '["a",0,10]',
    'not-a-window',
    '"a"',
  ];

  it('by start (default), oldest first: numbers sort numerically, not as text', () => {
    expect(scanWindows(ids, 'a', 0, 100).map((w) => w.window)).toEqual([
      { startMs: 0, endMs: 10 },
      { startMs: 5, endMs: 15 },
      { startMs: 90, endMs: 100 },
    ]);
    expect(scanWindows(ids, 'a', 0, 101).map((w) => w.window.startMs)).toEqual([0, 5, 90, 100]);
    expect(scanWindows(ids, 'b', -1000, 1000)).toEqual([{ key: 'b', window: { startMs: 0, endMs: 10 } }]);
  });

  it('by overlap: every window sharing a millisecond with the range', () => {
    expect(scanWindows(ids, 'a', 10, 100, 'overlap').map((w) => w.window.startMs)).toEqual([5, 90]);
    expect(scanWindows(ids, 'a', 9, 10, 'overlap').map((w) => w.window.startMs)).toEqual([0, 5]);
    expect(scanWindows(ids, 'a', -1, 0, 'overlap').map((w) => w.window.startMs)).toEqual([-10]);
  });
});
