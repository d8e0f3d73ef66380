import type { Agent } from '../../agents/agent.js';
import type { Table } from '../../tables/table.js';
import type { Topic } from '../../topics/topic.js';

export type TopologyNodeKind = 'topic' | 'repartition' | 'agent' | 'table' | 'sink' | 'dead-letter';

/** A box of the dashboard's graph; `layer` is its column (left to right), `row` its place in it. */
export interface TopologyNode {
  id: string;
  kind: TopologyNodeKind;
  label: string;
  /** Partitions of a topic; for a table, of its changelog. */
  partitions?: number;
  /** A table's window kind (`tumbling`, `hopping`, `sliding`, `session`), if windowed. */
  windowKind?: string;
  layer: number;
  row: number;
}

export type TopologyEdgeKind = 'reads' | 'writes' | 'updates' | 'dead-letters';

export interface TopologyEdge {
  from: string;
  to: string;
  kind: TopologyEdgeKind;
}

/** The app as a graph: topics -> agents -> tables / repartition / sinks, and dead-letter topics. */
export interface Topology {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
}

/** What the graph is drawn from: the app's agents, topics and tables, and what each agent reads. */
export interface TopologySource {
  agents: readonly Pick<Agent, 'name' | 'topics' | 'sinks'>[];
  topics: readonly Pick<Topic, 'name' | 'partitions' | 'internal' | 'deadLetterTopic'>[];
  tables: readonly Pick<Table, 'name' | 'changelog' | 'windowKind' | 'global'>[];
  /** The topics each agent reads once started: its own and the repartition topics of its groupBy. */
  reads: ReadonlyMap<string, readonly string[]>;
  /** Partition counts the worker resolved (topics that do not say theirs). */
  partitions: ReadonlyMap<string, number>;
  isRepartition: (topic: string) => boolean;
}

const nodeId = (kind: TopologyNodeKind, name: string) => `${kind}:${name}`;

/**
 * The app's topology for the dashboard. A groupBy shows as source -> repartition topic -> agent
 * (the agent writes the copies and reads them back); each topic an agent reads sends what fails
 * to its dead-letter topic. Which agent updates which table is not declared anywhere, so a table
 * hangs off every agent (drawn as `updates`); with one agent per app, as in the examples, that
 * is exact.
 */
export function describeTopology(source: TopologySource): Topology {
  const nodes = new Map<string, Omit<TopologyNode, 'layer' | 'row'>>();
  const edges: TopologyEdge[] = [];
  const seen = new Set<string>();
  const edge = (from: string, to: string, kind: TopologyEdgeKind) => {
    const key = `${from}>${to}`;
    if (from === to || seen.has(key)) return;
    seen.add(key);
    edges.push({ from, to, kind });
  };
  const topicsByName = new Map(source.topics.map((t) => [t.name, t]));
  const partitionsOf = (name: string) => source.partitions.get(name) ?? topicsByName.get(name)?.partitions;
  const topicNode = (name: string, kind: TopologyNodeKind) => {
    const id = nodeId(kind, name);
    if (!nodes.has(id)) {
      const partitions = partitionsOf(name);
      nodes.set(id, { id, kind, label: name, ...(partitions === undefined ? {} : { partitions }) });
    }
    return id;
  };

  for (const agent of source.agents) {
    const agentId = nodeId('agent', agent.name);
    nodes.set(agentId, { id: agentId, kind: 'agent', label: agent.name });
    const declared = agent.topics.map((t) => t.name);
    const reads = source.reads.get(agent.name) ?? declared;
    const repartitions = reads.filter((name) => source.isRepartition(name));
    for (const name of declared) {
      const from = topicNode(name, 'topic');
      if (repartitions.length === 0) edge(from, agentId, 'reads');
      for (const r of repartitions) edge(from, topicNode(r, 'repartition'), 'writes');
    }
    for (const name of reads) {
      if (!declared.includes(name))
        edge(topicNode(name, source.isRepartition(name) ? 'repartition' : 'topic'), agentId, 'reads');
      const dlq = topicsByName.get(name)?.deadLetterTopic;
      if (dlq !== undefined) edge(agentId, topicNode(dlq, 'dead-letter'), 'dead-letters');
    }
    for (const sink of agent.sinks) {
      // a function sink is code, not part of the graph
      if (typeof sink === 'string') edge(agentId, topicNode(sink, 'sink'), 'writes');
      else if (typeof sink === 'function') continue;
      else if ('sinks' in sink) edge(agentId, nodeId('agent', sink.name), 'writes');
      else edge(agentId, topicNode(sink.name, 'sink'), 'writes');
    }
  }
  for (const table of source.tables) {
    const id = nodeId('table', table.name);
    const partitions = partitionsOf(table.changelog.name);
    nodes.set(id, {
      id,
      kind: 'table',
      label: table.name,
      ...(partitions === undefined ? {} : { partitions }),
      ...(table.windowKind === undefined ? {} : { windowKind: table.windowKind }),
    });
    for (const agent of source.agents) edge(nodeId('agent', agent.name), id, 'updates');
  }
  // a sink another agent reads is a topic in the middle of the graph, not an end
  for (const [id, node] of nodes) {
    if (node.kind === 'sink' && nodes.has(nodeId('topic', node.label))) {
      nodes.delete(id);
      for (const e of edges) if (e.to === id) e.to = nodeId('topic', node.label);
    }
  }
  return layOut(
    [...nodes.values()],
    edges.filter((e) => nodes.has(e.from) && nodes.has(e.to)),
  );
}

/**
 * A layered layout: a node's layer is the longest path to it from a node nobody writes to
 * (edges closing a cycle are ignored), so every edge but those spans one column and no curve
 * crosses a box; in a column, dead-letter topics come last, the rest in order of appearance.
 */
export function layOut(nodes: Omit<TopologyNode, 'layer' | 'row'>[], edges: TopologyEdge[]): Topology {
  const incoming = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const e of edges) incoming.get(e.to)?.push(e.from);
  const layers = new Map<string, number>();
  const visiting = new Set<string>();
  const layerOf = (id: string): number => {
    const known = layers.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return -1; // a cycle: this edge does not push the node right
    visiting.add(id);
    const parents = incoming.get(id) ?? [];
    const layer = parents.reduce((max, p) => Math.max(max, layerOf(p) + 1), 0);
    visiting.delete(id);
    layers.set(id, layer);
    return layer;
  };
  const last = (n: { kind: TopologyNodeKind }) => (n.kind === 'dead-letter' ? 1 : 0);
  const placed = nodes
    .map((n) => ({ ...n, layer: layerOf(n.id), row: 0 }))
    .sort((a, b) => a.layer - b.layer || last(a) - last(b));
  const rows = new Map<number, number>();
  for (const n of placed) {
    n.row = rows.get(n.layer) ?? 0;
    rows.set(n.layer, n.row + 1);
  }
  return { nodes: placed, edges };
}
