import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../../test/faults/support/seeded-random.js';
import { type ProduceMessage, produceRequestV3, recordBatchInOnePass } from './produce-request.js';

type ProduceRequest = typeof produceRequestV3;
const require = createRequire(import.meta.url);

/** kafkajs' own Produce v3 module, compiled from its file (the loader took its place in the cache). */
function kafkajsProduceRequest(): ProduceRequest {
  const path = require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js');
  const original = new Module(path) as Module & { _compile(source: string, path: string): void };
  original.filename = path;
  original._compile(readFileSync(path, 'utf8'), path);
  return original.exports as ProduceRequest;
}

const NOW = 1_796_400_000_000;

function randomMessage(next: () => number): ProduceMessage {
  const text = (n: number) => 'ä€x'.repeat(Math.floor(next() * n));
  const bytes = () => {
    const r = next();
    if (r < 0.1) return null;
    if (r < 0.4) return text(200);
    return Buffer.from(text(400 + (r > 0.99 ? 40_000 : 0)));
  };
  const headers: Record<string, string | Buffer | Array<string | Buffer>> = {};
  const headerCount = next() < 0.5 ? 0 : Math.floor(next() * 4);
  for (let h = 0; h < headerCount; h++)
    headers[`h${h}${text(3)}`] = next() < 0.3 ? [text(5), Buffer.from(text(5))] : text(20);
  return {
    key: bytes(),
    value: bytes(),
    ...(headerCount > 0 || next() < 0.5 ? { headers } : {}),
    // a record without a timestamp gets Date.now(): the test below
    timestamp: next() < 0.6 ? String(NOW - Math.floor(next() * 1e9)) : NOW + Math.floor(next() * 5_000),
  };
}

/** The request's bytes, hex (toEqual on large Buffers compares index by index: slow). */
const encoded = async (request: ProduceRequest, args: Parameters<ProduceRequest>[0]) =>
  (await request(args).encode()).buffer.toString('hex');

describe('produceRequestV3', () => {
  const kafkajs = kafkajsProduceRequest();

  it("encodes random requests to the very bytes of kafkajs' own Produce v3", async () => {
    let onePass = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const { next } = seededRandom(seed);
      const topicData = Array.from({ length: 1 + Math.floor(next() * 3) }, (_, t) => ({
        topic: `topic-${t}`,
        partitions: Array.from({ length: 1 + Math.floor(next() * 4) }, (_, p) => ({
          partition: p,
          firstSequence: Math.floor(next() * 1000),
          messages: Array.from({ length: 1 + Math.floor(next() * 200) }, () => randomMessage(next)),
        })),
      }));
      const args = {
        acks: next() < 0.5 ? -1 : 1,
        timeout: 30_000,
        topicData,
        ...(next() < 0.5 ? { transactionalId: `tx-${seed}`, producerId: 4711, producerEpoch: 3 } : {}),
        ...(next() < 0.2 ? { compression: 1 } : {}), // gzip: kafkajs' own encoders
      };
      expect(await encoded(produceRequestV3, args), `seed ${seed}`).toBe(await encoded(kafkajs, args));
      // the same bytes, written by the one-pass path (not kafkajs' fallback)
      const fields = {
        firstTimestamp: NOW,
        maxTimestamp: NOW,
        producerId: 1,
        producerEpoch: 0,
        firstSequence: 0,
        transactional: false,
      };
      for (const { partitions } of topicData)
        for (const { messages } of partitions)
          if (recordBatchInOnePass(messages, NOW, fields) !== undefined) onePass += 1;
    }
    expect(onePass).toBeGreaterThan(50);
  });

  it('gives records without a timestamp the time of the request, as kafkajs does', async () => {
    const args = {
      acks: -1,
      timeout: 1,
      topicData: [
        {
          topic: 't',
          partitions: [
            { partition: 0, messages: [{ key: 'a', value: 'b' }, { value: Buffer.from('c') }] },
            { partition: 1, messages: [{ value: 'd' }, { value: 'e', timestamp: String(NOW) }] },
          ],
        },
      ],
    };
    // both encodings within one millisecond (Date.now() is part of the bytes)
    for (let attempt = 0; ; attempt++) {
      const before = Date.now();
      const [ours, theirs] = [await encoded(produceRequestV3, args), await encoded(kafkajs, args)];
      if (Date.now() !== before && attempt < 50) continue;
      expect(ours).toBe(theirs);
      break;
    }
  });

  it('has the request fields of kafkajs, and leaves what it does not cover to kafkajs (same error)', async () => {
    const request = produceRequestV3({ acks: 0, timeout: 1, topicData: [] });
    expect([request.apiKey, request.apiVersion, request.apiName, request.expectResponse()]).toEqual([
      0,
      3,
      'Produce',
      false,
    ]);
    const args = {
      acks: -1,
      timeout: 1,
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: null, value: 42 }] }] }],
    };
    const ours = await encoded(produceRequestV3, args).catch((e: Error) => e.message);
    expect(ours).toBe(await encoded(kafkajs, args).catch((e: Error) => e.message));
    expect(ours).toMatch(/argument must be of type string or an instance of Buffer/);
  });
});
