import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { type RecordSender, recordBytes } from '../producer/buffered-producer.js';
import type { OutRecord } from '../transport/types.js';
import {
  type DeadLetterParts,
  DeadLetterWriter,
  deadLetterRecord,
  DEAD_LETTER_HEADERS as H,
} from './dead-letters.js';

const parts = (over: Partial<DeadLetterParts> = {}): DeadLetterParts => ({
  topic: 'app-in-dlq',
  key: Buffer.from('k1'),
  value: Buffer.from('not json'),
  headers: { trace: 'abc', gone: undefined },
  reason: 'value could not be decoded as json: SyntaxError',
  source: { topic: 'in', partition: 3, offset: '42' },
  sourceTimestamp: '1700000000000',
  ...over,
});

describe('deadLetterRecord', () => {
  it('keeps a record that fits whole, with the reason, source, original sizes and headers', () => {
    const record = deadLetterRecord(parts(), 1_000_000);
    expect(record.key).toEqual(Buffer.from('k1'));
    expect(record.value).toEqual(Buffer.from('not json'));
    expect(record.origin).toEqual({ topic: 'in', partition: 3, offset: '42' });
    expect(record.headers).toEqual({
      trace: 'abc',
      [H.reason]: 'value could not be decoded as json: SyntaxError',
      [H.topic]: 'in',
      [H.partition]: '3',
      [H.offset]: '42',
      [H.timestamp]: '1700000000000',
      [H.keyBytes]: '2',
      [H.valueBytes]: '8',
    });
  });

  it('cuts a large value to a prefix that fits, and says so with the original size', () => {
    const value = Buffer.alloc(1_500_000, 'v');
    const record = deadLetterRecord(parts({ value, target: 'app-by-key-repartition' }), 1_000_000);
    expect(recordBytes(record)).toBeLessThanOrEqual(1_000_000);
    expect(recordBytes(record)).toBeGreaterThan(999_000); // it keeps what fits, not less
    expect(record.key).toEqual(Buffer.from('k1'));
    expect(value.subarray(0, record.value!.length).equals(record.value!)).toBe(true);
    expect(record.headers).toMatchObject({
      trace: 'abc',
      [H.truncated]: 'value',
      [H.valueBytes]: '1500000',
      [H.keyBytes]: '2',
      [H.target]: 'app-by-key-repartition',
    });
  });

  it('cuts a key that alone is too large, and empties the value', () => {
    const record = deadLetterRecord(parts({ key: Buffer.alloc(5000, 'k') }), 2000);
    expect(recordBytes(record)).toBeLessThanOrEqual(2000);
    expect(record.key!.length).toBeGreaterThan(1000);
    expect(record.value!.length).toBe(0);
    expect(record.headers).toMatchObject({
      [H.truncated]: 'key,value',
      [H.keyBytes]: '5000',
      [H.valueBytes]: '8',
    });
  });

  it('drops the original headers when they alone do not fit, keeping its own', () => {
    const record = deadLetterRecord(parts({ headers: { huge: 'h'.repeat(5000) }, key: null }), 2000);
    expect(recordBytes(record)).toBeLessThanOrEqual(2000);
    expect(record.headers!.huge).toBeUndefined();
    expect(record.value).toEqual(Buffer.from('not json'));
    expect(record.headers).toMatchObject({
      [H.truncated]: 'headers',
      [H.keyBytes]: 'null',
      [H.offset]: '42',
    });
  });

  it('shortens a reason that would crowd out the record', () => {
    const record = deadLetterRecord(parts({ reason: `agent failed: ${'x'.repeat(100_000)}` }), 1_000_000);
    expect(String(record.headers![H.reason]).length).toBeLessThanOrEqual(2001);
    expect(record.value).toEqual(Buffer.from('not json'));
  });
});

describe('DeadLetterWriter.writeRefused', () => {
  function writer() {
    const sent: OutRecord[] = [];
    const sender: RecordSender = { send: (r) => void sent.push(r), flush: async () => undefined };
    const dead = new DeadLetterWriter({
      sender: () => sender,
      log: createLogger({ name: 'test', level: 'silent' }),
      deadLetterTopicOf: (topic) => `app-${topic}-dlq`,
      maxRecordBytes: () => 1000,
    });
    return { dead, sent };
  }
  const origin = { topic: 'in', partition: 1, offset: '7' };

  it("sends a refused record to its origin's dead-letter topic, cut to fit, with where it was going", () => {
    const { dead, sent } = writer();
    dead.writeRefused(
      { topic: 'app-by-key-repartition', key: Buffer.from('"k"'), value: Buffer.alloc(5000), origin },
      'MESSAGE_TOO_LARGE',
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]!.topic).toBe('app-in-dlq');
    expect(recordBytes(sent[0]!)).toBeLessThanOrEqual(1000);
    expect(sent[0]!.headers).toMatchObject({
      [H.reason]: 'could not be written to app-by-key-repartition: MESSAGE_TOO_LARGE',
      [H.topic]: 'in',
      [H.partition]: '1',
      [H.offset]: '7',
      [H.target]: 'app-by-key-repartition',
      [H.truncated]: 'value',
      [H.valueBytes]: '5000',
    });
    expect(dead.truncated).toBe(1);
    expect(dead.written.get('app-in-dlq')).toBe(1);
  });

  it('counts, and does not send again, a refused dead letter or a record of unknown origin', () => {
    const { dead, sent } = writer();
    dead.writeRefused({ topic: 'app-in-dlq', key: null, value: Buffer.from('x'), origin }, 'INVALID_RECORD');
    dead.writeRefused({ topic: 'out', key: null, value: Buffer.from('x') }, 'INVALID_RECORD');
    expect(sent).toEqual([]);
    expect(dead.undeliverable).toBe(2);
  });

  it('keeps the newest 50 dead letters, oldest first, with their reason and source', () => {
    const { dead } = writer();
    for (let i = 0; i < 55; i++) {
      const message = { key: null, value: Buffer.from('x'), offset: String(i), timestamp: '0', headers: {} };
      void dead.write({ topic: 'in', partition: 2, message, deadLetterTopic: 'app-in-dlq' }, `bad ${i}`);
    }
    expect(dead.recent).toHaveLength(50);
    expect(dead.recent[0]).toMatchObject({ topic: 'in', partition: 2, offset: '5', reason: 'bad 5' });
    expect(dead.recent[49]).toMatchObject({ offset: '54', reason: 'bad 54', deadLetterTopic: 'app-in-dlq' });
  });
});
