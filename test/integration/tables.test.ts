import { App, z } from '@strom/core';
import { afterEach, describe, expect, it } from 'vitest';
import { probeEmptyBatches } from '../../packages/core/src/transport/empty-batch-probe.js';
import { brokers, collect, createTopic, kafka, testLogLevel, uniqueName } from '../support/kafka.js';
import { eventually, produceJson } from '../support/produce.js';

const Ride = z.object({ vendorId: z.number().int() });
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

/** An app counting rides per vendor: the same definition every time, like restarting a program. */
function countingApp(id: string, input: string) {
  const app = new App({ id, broker: brokers(), logLevel: testLogLevel() });
  const rides = app.topic(input, { value: Ride });
  const counts = app.table<number, number>('counts', { default: () => 0 });
  let processed = 0;
  app.agent(rides, async function count(stream) {
    for await (const ride of stream.groupBy((r) => r.vendorId, { name: 'vendor' })) {
      await counts.update(ride.vendorId, (n) => n + 1);
      processed += 1;
    }
  });
  return { app, counts, processed: () => processed };
}

async function run(app: App) {
  const worker = app.createWorker();
  await worker.start();
  let stopped = false;
  const stop = async () => {
    if (!stopped) await worker.stop();
    stopped = true;
  };
  stops.push(stop);
  return stop;
}

describe('tables on a real broker', () => {
  it('counts per key, and a restarted worker recovers the counts from the changelog', async () => {
    const input = await createTopic(uniqueName('rides'), { partitions: 2 });
    const vendors = [1, 2, 2, 1, 2, 2, 2, 1, 2, 2];
    await produceJson(
      input,
      vendors.map((vendorId, i) => ({ value: { vendorId }, partition: i % 2 })),
    );
    const id = uniqueName('tables-app');
    const first = countingApp(id, input);
    const stopFirst = await run(first.app);
    expect(await eventually(() => first.processed() === vendors.length)).toBe(true);
    expect(await first.counts.toObject()).toEqual({ '1': 3, '2': 7 });
    await stopFirst();

    const second = countingApp(id, input);
    await run(second.app);
    // no new input: the state comes from the changelog alone
    expect(
      await eventually(async () => Object.keys(await second.counts.toObject()).length === 2, 20_000),
    ).toBe(true);
    expect(await second.counts.toObject()).toEqual({ '1': 3, '2': 7 });
    await produceJson(input, [{ value: { vendorId: 1 }, partition: 0 }]);
    expect(await eventually(async () => (await second.counts.toObject())['1'] === 4)).toBe(true);
    expect(second.processed()).toBe(1);
  });

  describe('recovery finishes on every changelog shape', () => {
    /** Creates input + changelog (1 partition), lets `fill` write the changelog, then recovers it. */
    async function recoverFrom(fill: (changelog: string) => Promise<void>, cleanupPolicy = 'compact') {
      const id = uniqueName('shape-app');
      const input = await createTopic(uniqueName('in'), { partitions: 1 });
      const changelog = await createTopic(`${id}-last-changelog`, {
        partitions: 1,
        configEntries: {
          'cleanup.policy': cleanupPolicy,
          'segment.ms': '100',
          'min.cleanable.dirty.ratio': '0.01',
          'min.compaction.lag.ms': '0',
          'delete.retention.ms': '100',
        },
      });
      await fill(changelog);
      const app = new App({ id, broker: brokers(), logLevel: testLogLevel() });
      const last = app.table<string, number>('last');
      const seen: string[] = [];
      app.agent(app.topic<number, string>(input), async function remember(stream) {
        for await (const e of stream.events()) {
          last.set(e.key, e.value);
          seen.push(e.key);
        }
      });
      await run(app);
      // an event processed after start proves recovery finished (events wait for it)
      await produceJson(input, [{ key: 'probe', value: 1 }]);
      expect(await eventually(() => seen.includes('probe'), 60_000)).toBe(true);
      return { state: await last.toObject(), changelog };
    }

    const send = async (topic: string, records: Array<[string, number | null]>) => {
      const producer = kafka().producer();
      await producer.connect();
      await producer.send({
        topic,
        messages: records.map(([k, v]) => ({
          key: JSON.stringify(k),
          value: v === null ? null : JSON.stringify(v),
        })),
      });
      await producer.disconnect();
    };

    it('an empty changelog', async () => {
      const { state } = await recoverFrom(async () => undefined);
      expect(state).toEqual({ probe: 1 });
    });

    it('a compacted changelog (offsets with gaps, tombstones)', async () => {
      const { state } = await recoverFrom(async (changelog) => {
        for (let round = 0; round < 5; round++) {
          await send(changelog, [
            ['a', round],
            ['b', round * 10],
          ]);
        }
        await send(changelog, [['b', null]]);
        await new Promise((r) => setTimeout(r, 300));
        await send(changelog, [['c', 3]]); // rolls the segment so the cleaner can compact it
        // wait until the cleaner compacted the first segment: fewer records than were written
        expect(
          await eventually(
            async () => (await collect(changelog, 12, { timeoutMs: 1500 })).length < 12,
            20_000,
          ),
        ).toBe(true);
      });
      expect(state).toEqual({ a: 4, c: 3, probe: 1 });
    });

    it('a changelog whose start was removed (low watermark > 0)', async () => {
      const { state } = await recoverFrom(async (changelog) => {
        await send(changelog, [
          ['gone', 1],
          ['x', 1],
          ['x', 2],
        ]);
        const admin = kafka().admin();
        await admin.connect();
        await admin.fetchTopicMetadata({ topics: [changelog] }); // kafkajs needs it loaded first
        await admin.deleteTopicRecords({ topic: changelog, partitions: [{ partition: 0, offset: '1' }] });
        await admin.disconnect();
      }, 'compact,delete'); // deleting records needs the delete policy (windowed changelogs have it)
      expect(state).toEqual({ x: 2, probe: 1 });
    });

    /** Writes `kept` = 1, then `aborted` = 1 in a transaction that is aborted. */
    const endInAbortedTransaction = async (changelog: string) => {
      await send(changelog, [['kept', 1]]);
      const producer = kafka().producer({
        transactionalId: uniqueName('tx'),
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
      const tx = await producer.transaction();
      await tx.send({ topic: changelog, messages: [{ key: JSON.stringify('aborted'), value: '1' }] });
      // past segment.ms: the marker starts a new segment, so the cleaner may clean the record's
      await new Promise((resolve) => setTimeout(resolve, 300));
      await tx.abort();
      await producer.disconnect();
    };

    it('a changelog ending in an aborted transaction (its records and marker in place)', async () => {
      // no compaction: offset 1 holds the aborted record, offset 2 the abort marker
      const { state } = await recoverFrom(endInAbortedTransaction, 'delete');
      expect(state).toEqual({ kept: 1, probe: 1 });
    });

    it('a changelog ending in an aborted transaction that compaction emptied', async () => {
      const { state } = await recoverFrom(async (changelog) => {
        await endInAbortedTransaction(changelog);
        // The cleaner drops the aborted record but keeps its batch, empty, as the last of its
        // segment: kafkajs alone would fetch offset 1 forever (kafkajs#1072). Wait for that shape.
        const [host, port] = brokers()[0]!.split(':');
        const leader = { host: host!, port: Number(port) };
        const emptied = async () =>
          (await probeEmptyBatches(leader, { tls: false, clientId: 'test' }, changelog, 0, 1n)) === 2n;
        expect(await eventually(emptied, 30_000)).toBe(true);
      });
      expect(state).toEqual({ kept: 1, probe: 1 });
    });
  });
});
