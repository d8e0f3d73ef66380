import { describe, expect, it } from 'vitest';
import { limitsFromConfigs, topicsBelow } from './topic-limits.js';

describe('topic limits', () => {
  const limits = limitsFromConfigs(
    new Map<string, Record<string, string>>([
      ['events', { 'max.message.bytes': '1048588', 'cleanup.policy': 'delete' }],
      ['app-counts-changelog', { 'max.message.bytes': '1048588', 'cleanup.policy': 'compact,delete' }],
      ['small-sink', { 'max.message.bytes': '20000', 'cleanup.policy': 'delete' }],
      ['odd', { 'max.message.bytes': 'lots' }],
    ]),
  );

  it('reads max.message.bytes and compaction, skipping values that are not byte counts', () => {
    expect([...limits]).toEqual([
      ['events', { maxMessageBytes: 1048588, compacted: false }],
      ['app-counts-changelog', { maxMessageBytes: 1048588, compacted: true }],
      ['small-sink', { maxMessageBytes: 20000, compacted: false }],
    ]);
  });

  it('names the topics whose limit is below a request of producerMaxRequestBytes', () => {
    expect(topicsBelow(limits, 1_000_000)).toEqual({ 'small-sink': 20000 });
    expect(topicsBelow(limits, 1048588 - 61)).toEqual({ 'small-sink': 20000 });
    expect(topicsBelow(limits, 1048588 - 60)).toEqual({
      events: 1048588,
      'app-counts-changelog': 1048588,
      'small-sink': 20000,
    });
  });
});
