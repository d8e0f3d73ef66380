import { describe, expect, it } from 'vitest';
import { App } from '../../app/app.js';
import { describeTopology, type TopologySource } from './topology.js';

/** The topology source of an app as a worker would see it before starting. */
function sourceOf(app: App, reads: Record<string, string[]> = {}): TopologySource {
  return {
    agents: app.agents,
    topics: app.topics(),
    tables: app.tables,
    reads: new Map(Object.entries(reads)),
    partitions: new Map(),
    isRepartition: (name) => name.endsWith('-repartition'),
  };
}

describe('describeTopology', () => {
  it('draws source -> repartition -> agent -> tables, sinks and dead-letter topics in columns', () => {
    const app = new App({ id: 'taxi', broker: 'localhost:1' });
    const rides = app.topic('rides', { partitions: 4 });
    const out = app.topic('big-rides');
    app.table<number, number>('per_vendor', { default: () => 0 });
    app.table<number, number>('per_minute', { default: () => 0 }).tumbling(60_000);
    app.agent(rides, async function count() {}, { sink: [out] });
    app.context.repartition('vendor', [rides]); // what the agent's groupBy declares once started
    const topology = describeTopology(sourceOf(app, { count: ['rides', 'taxi-vendor-repartition'] }));

    const at = (id: string) => topology.nodes.find((n) => n.id === id);
    expect(at('topic:rides')).toMatchObject({ layer: 0, partitions: 4 });
    expect(at('repartition:taxi-vendor-repartition')).toMatchObject({ layer: 1 });
    expect(at('agent:count')).toMatchObject({ layer: 2 });
    expect(at('table:per_vendor')).toMatchObject({ layer: 3 });
    expect(at('table:per_minute')).toMatchObject({ layer: 3, windowKind: 'tumbling' });
    expect(at('sink:big-rides')).toMatchObject({ layer: 3 });
    // beside the agent that sends them, below its tables and sinks
    expect(at('dead-letter:taxi-rides-dlq')).toMatchObject({ layer: 3, row: 3 });
    expect(at('dead-letter:taxi-vendor-repartition-dlq')).toMatchObject({ layer: 3, row: 4 });
    expect(topology.edges).toContainEqual({
      from: 'topic:rides',
      to: 'repartition:taxi-vendor-repartition',
      kind: 'writes',
    });
    expect(topology.edges).toContainEqual({ from: 'agent:count', to: 'table:per_minute', kind: 'updates' });
    // rows within a column are distinct
    const places = topology.nodes.map((n) => `${n.layer}/${n.row}`);
    expect(new Set(places).size).toBe(places.length);
  });

  it("puts an agent that reads another agent's sink to the right of it", () => {
    const app = new App({ id: 'chain', broker: 'localhost:1' });
    const a = app.topic('a');
    const b = app.topic('b');
    app.agent(a, async function first() {}, { sink: [b] });
    app.agent(b, async function second() {});
    const topology = describeTopology(sourceOf(app));
    const layer = (id: string) => topology.nodes.find((n) => n.id === id)?.layer;
    expect(topology.nodes.some((n) => n.id === 'sink:b')).toBe(false);
    expect([layer('topic:a'), layer('agent:first'), layer('topic:b'), layer('agent:second')]).toEqual([
      0, 1, 2, 3,
    ]);
  });
});
