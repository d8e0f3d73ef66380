import { DEAD_LETTER_HEADERS, jsonCodec, stringCodec, type TopicRecord } from '@strom/core';
import { describe, expect, it } from 'vitest';
import { recordJson, recordLine } from './records.js';

const record = (over: Partial<TopicRecord>): TopicRecord => ({
  topic: 't',
  partition: 2,
  offset: '7',
  timestamp: Date.parse('2020-07-01T00:25:32Z'),
  key: null,
  value: null,
  headers: {},
  ...over,
});

describe('one line per record', () => {
  it('decodes with the codecs and keeps every record on one line', () => {
    const json = { key: jsonCodec, value: jsonCodec };
    expect(recordLine(record({ key: Buffer.from('"ada"'), value: Buffer.from('{"n": 1}') }), json)).toBe(
      'p2  @7  2020-07-01T00:25:32.000Z  key="ada"  value={"n":1}',
    );
    const text = { key: stringCodec, value: stringCodec };
    expect(recordLine(record({ value: Buffer.from('two\nlines') }), text)).toBe(
      'p2  @7  2020-07-01T00:25:32.000Z  key=null  value="two\\nlines"',
    );
    // not JSON, not UTF-8: as text, then as hex
    expect(recordLine(record({ value: Buffer.from('oops') }), json)).toMatch(/ value=oops$/);
    expect(recordLine(record({ value: Buffer.from([0xff, 0x00]) }), undefined)).toMatch(/ value=0xff00$/);
  });

  it('adds the source and reason of a dead letter', () => {
    const headers = {
      [DEAD_LETTER_HEADERS.reason]: 'value failed its schema: n: too big',
      [DEAD_LETTER_HEADERS.topic]: 'orders',
      [DEAD_LETTER_HEADERS.partition]: '1',
      [DEAD_LETTER_HEADERS.offset]: '42',
      [DEAD_LETTER_HEADERS.timestamp]: String(Date.parse('2020-07-01T00:00:00Z')),
      trace: 'abc',
    };
    const dead = record({ value: Buffer.from('{"n":99}'), headers });
    expect(recordLine(dead, undefined)).toBe(
      'p2  @7  2020-07-01T00:25:32.000Z  key=null  value={"n":99}  source=orders[1]@42  reason=value failed its schema: n: too big',
    );
    expect(JSON.parse(recordJson(dead, { key: jsonCodec, value: jsonCodec }))).toEqual({
      partition: 2,
      offset: '7',
      timestamp: '2020-07-01T00:25:32.000Z',
      key: null,
      value: { n: 99 },
      headers: { trace: 'abc' },
      deadLetter: {
        reason: 'value failed its schema: n: too big',
        topic: 'orders',
        partition: 1,
        offset: '42',
        timestamp: '2020-07-01T00:00:00.000Z',
      },
    });
  });
});
