import { describe, expect, it } from 'vitest';
import type { RecordSender } from '../producer/buffered-producer.js';
import type { OutRecord } from '../transport/types.js';
import { ALL_PARTITIONS, ChangelogWriter, changelogCodec } from './changelog.js';

function recorder(): { sender: RecordSender; sent: OutRecord[] } {
  const sent: OutRecord[] = [];
  return { sent, sender: { send: (record) => void sent.push(record), flush: async () => undefined } };
}

const decoded = (records: OutRecord[]) => records.map((r) => changelogCodec.decode(r));

describe('ChangelogWriter', () => {
  it('every-update: a record per write, tombstones for deletes, on the partition it was made for', () => {
    const { sender, sent } = recorder();
    const writer = new ChangelogWriter(sender, 'app-counts-changelog', 3);
    writer.write('"a"', 1);
    writer.write('"a"', 2);
    writer.write('"b"', undefined);
    expect(decoded(sent)).toEqual([
      ['"a"', 1],
      ['"a"', 2],
      ['"b"', undefined],
    ]);
    expect(sent.map((r) => [r.topic, r.partition])).toEqual([
      ['app-counts-changelog', 3],
      ['app-counts-changelog', 3],
      ['app-counts-changelog', 3],
    ]);
  });

  it('per-commit: nothing until flush, then the latest value of each changed key once', () => {
    const { sender, sent } = recorder();
    const writer = new ChangelogWriter(sender, 'app-counts-changelog', 0, 'per-commit');
    writer.write('"a"', 1);
    writer.write('"b"', 1);
    writer.write('"a"', 2);
    writer.write('"c"', 5);
    writer.write('"c"', undefined);
    expect(sent).toEqual([]);
    expect(writer.pendingCount).toBe(3);
    writer.flush();
    // a key written again moves behind the others, as its record would have
    expect(decoded(sent)).toEqual([
      ['"b"', 1],
      ['"a"', 2],
      ['"c"', undefined],
    ]);
    writer.flush();
    expect(sent).toHaveLength(3);
  });

  it('a global table writer lets the producer pick the partition from the key', () => {
    const { sender, sent } = recorder();
    new ChangelogWriter(sender, 'app-zones-changelog', ALL_PARTITIONS).write('"x"', 1);
    expect(sent[0]?.partition).toBeUndefined();
  });
});
