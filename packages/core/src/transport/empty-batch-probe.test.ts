import { describe, expect, it } from 'vitest';
import { decodeFetchResponse, encodeFetchRequest, offsetAfterEmptyBatches } from './empty-batch-probe.js';

/** A record batch header (magic 2) with `count` records; record bodies are filler bytes. */
function batch(baseOffset: bigint, lastOffsetDelta: number, count: number, bodyBytes = 0): Buffer {
  const b = Buffer.alloc(61 + bodyBytes);
  b.writeBigInt64BE(baseOffset, 0);
  b.writeInt32BE(b.length - 12, 8); // batch length: everything after this field
  b.writeInt8(2, 16); // magic
  b.writeInt32BE(lastOffsetDelta, 23);
  b.writeInt32BE(count, 57);
  return b;
}

/** A Fetch v4 response for one partition holding `records`. */
function response(records: Buffer, errorCode = 0, aborted = 0): Buffer {
  const name = Buffer.from('t');
  const head = Buffer.alloc(4 + 4 + 4 + 2 + name.length + 4 + 4 + 2 + 8 + 8 + 4);
  let at = head.writeInt32BE(7, 0); // correlation id
  at = head.writeInt32BE(0, at); // throttle
  at = head.writeInt32BE(1, at);
  at = head.writeInt16BE(name.length, at);
  at += name.copy(head, at);
  at = head.writeInt32BE(1, at);
  at = head.writeInt32BE(0, at); // partition
  at = head.writeInt16BE(errorCode, at);
  at = head.writeBigInt64BE(10n, at);
  at = head.writeBigInt64BE(10n, at);
  head.writeInt32BE(aborted, at);
  const abortedList = Buffer.alloc(16 * aborted);
  const size = Buffer.alloc(4);
  size.writeInt32BE(records.length);
  return Buffer.concat([head, abortedList, size, records]);
}

describe('empty-batch probe', () => {
  it('skips to the end of the empty batches that start the fetch', () => {
    const records = Buffer.concat([batch(1n, 0, 0), batch(2n, 3, 0), batch(6n, 0, 1, 20)]);
    expect(offsetAfterEmptyBatches(records, 1n)).toBe(6n);
  });

  it('skips nothing when the first batch holds records', () => {
    const records = Buffer.concat([batch(1n, 2, 3, 30), batch(4n, 0, 0)]);
    expect(offsetAfterEmptyBatches(records, 1n)).toBeUndefined();
  });

  it('skips nothing when nothing complete was fetched', () => {
    expect(offsetAfterEmptyBatches(Buffer.alloc(0), 5n)).toBeUndefined();
    expect(offsetAfterEmptyBatches(batch(5n, 0, 0).subarray(0, 40), 5n)).toBeUndefined();
  });

  it('reads the records and error code of a Fetch v4 response, aborted transactions included', () => {
    const records = batch(1n, 0, 0);
    expect(decodeFetchResponse(response(records, 0, 2))).toEqual({ errorCode: 0, records });
    expect(decodeFetchResponse(response(Buffer.alloc(0), 6)).errorCode).toBe(6);
  });

  it('encodes one partition, read_committed, at the offset asked for', () => {
    const request = encodeFetchRequest(42, 'strom', 'changes', 3, 12_345n);
    expect(request.readInt32BE(0)).toBe(request.length - 4);
    expect(request.readInt16BE(4)).toBe(1); // Fetch
    expect(request.readInt16BE(6)).toBe(4); // v4
    expect(request.readInt32BE(8)).toBe(42);
    expect(request.readBigInt64BE(request.length - 12)).toBe(12_345n);
    expect(request.readInt32BE(request.length - 16)).toBe(3);
    expect(request.subarray(request.length - 27, request.length - 20).toString()).toBe('changes');
  });
});
