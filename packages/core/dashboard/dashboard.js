// The Strom dashboard: polls the worker's snapshot and draws it with plain SVG (no dependencies).
const SVG = 'http://www.w3.org/2000/svg';
const POLL_MS = 1000;
const KIND_COLORS = {
  topic: 'var(--topic)',
  repartition: 'var(--repartition)',
  agent: 'var(--agent)',
  table: 'var(--table)',
  sink: 'var(--sink)',
  'dead-letter': 'var(--dead)',
};
const KIND_NAMES = {
  topic: 'topic',
  repartition: 'repartition topic',
  agent: 'agent',
  table: 'table',
  sink: 'sink topic',
  'dead-letter': 'dead-letter topic',
};
/** The kind as a node's second line says it (short: the legend has the long names). */
const KIND_SHORT = { ...KIND_NAMES, repartition: 'repartition', sink: 'sink', 'dead-letter': 'dead letters' };
const SERIES_COLORS = [
  '#2f6fde',
  '#0f9d74',
  '#d9822b',
  '#7a5af5',
  '#d64545',
  '#1a9fb5',
  '#b5489b',
  '#6b8e23',
];

const $ = (id) => document.getElementById(id);

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function html(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function shorten(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Cuts the middle: the end of a series name is its partition. */
function shortenMiddle(text, max) {
  return text.length > max ? `${text.slice(0, Math.max(1, max - 7))}…${text.slice(-6)}` : text;
}

function formatNumber(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n >= 10 || Number.isInteger(n) ? n.toFixed(0) : n.toFixed(1);
}

let appPrefix = '';

/** Internal topics start with the app id: leave it out where room is short. */
function displayName(name) {
  return appPrefix && name.startsWith(appPrefix) && name.length > appPrefix.length
    ? name.slice(appPrefix.length)
    : name;
}

function clock(ms) {
  return new Date(ms).toISOString().slice(11, 19);
}

// --- topology -------------------------------------------------------------------------------

let drawnTopology = '';

function renderGraph(topology) {
  const key = JSON.stringify(topology);
  if (key === drawnTopology) return;
  drawnTopology = key;
  const svg = $('graph');
  svg.replaceChildren();
  const W = 184;
  const H = 40;
  const GAP_X = 44;
  const GAP_Y = 14;
  const PAD = 8;
  const at = new Map();
  for (const n of topology.nodes) {
    at.set(n.id, { x: PAD + n.layer * (W + GAP_X), y: PAD + n.row * (H + GAP_Y), node: n });
  }
  const width = Math.max(...[...at.values()].map((p) => p.x + W), 200) + PAD;
  const height = Math.max(...[...at.values()].map((p) => p.y + H), 60) + PAD;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  // shrink to the card when wider than it, never grow past the natural size
  svg.style.width = `min(100%, ${width}px)`;
  const defs = el('defs');
  const marker = el('marker', {
    id: 'arrow',
    viewBox: '0 0 8 8',
    refX: 7,
    refY: 4,
    markerWidth: 7,
    markerHeight: 7,
    orient: 'auto',
  });
  marker.append(el('path', { d: 'M0,0 L8,4 L0,8 z', fill: '#9aa5b5' }));
  defs.append(marker);
  svg.append(defs);
  // a node's outgoing edges leave from points spread down its right side, in their targets' order
  const outgoing = new Map();
  for (const e of topology.edges) {
    if (!at.has(e.from) || !at.has(e.to)) continue;
    outgoing.set(e.from, [...(outgoing.get(e.from) ?? []), e]);
  }
  const startY = new Map();
  for (const [from, list] of outgoing) {
    list.sort((p, q) => at.get(p.to).y - at.get(q.to).y);
    list.forEach((e, i) => {
      startY.set(e, at.get(from).y + (H * (i + 1)) / (list.length + 1));
    });
  }
  for (const e of topology.edges) {
    const a = at.get(e.from);
    const b = at.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x + W;
    const y1 = startY.get(e);
    const x2 = b.x;
    const y2 = b.y + H / 2;
    const bend = Math.max(24, (x2 - x1) / 2);
    const path = el('path', {
      class: `edge ${e.kind}`,
      d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2 - 2},${y2}`,
      'marker-end': 'url(#arrow)',
      'data-from': e.from,
      'data-to': e.to,
    });
    path.append(el('title', {}, `${e.from} ${e.kind} ${e.to}`));
    svg.append(path);
  }
  for (const { x, y, node } of at.values()) {
    const g = el('g', {
      class: `node ${node.kind}`,
      transform: `translate(${x},${y})`,
      'data-node-id': node.id,
      'data-kind': node.kind,
    });
    const color = KIND_COLORS[node.kind] ?? '#888';
    g.append(el('rect', { width: W, height: H, fill: '#fff', stroke: color }));
    g.append(el('rect', { width: 5, height: H, fill: color, stroke: 'none' }));
    g.append(el('text', { x: 12, y: 17 }, shorten(displayName(node.label), Math.floor((W - 18) / 7))));
    const sub = [node.windowKind ?? KIND_SHORT[node.kind] ?? node.kind];
    if (node.partitions !== undefined)
      sub.push(`${node.partitions} partition${node.partitions === 1 ? '' : 's'}`);
    g.append(el('text', { x: 12, y: 32, class: 'sub' }, sub.join(' · ')));
    g.append(el('title', {}, node.label));
    svg.append(g);
  }
  const legend = $('graph-legend');
  legend.replaceChildren();
  const kinds = [...new Set(topology.nodes.map((n) => n.kind))];
  for (const kind of kinds) {
    const item = html('span');
    const swatch = html('i');
    swatch.style.background = KIND_COLORS[kind];
    item.append(swatch, KIND_NAMES[kind] ?? kind);
    legend.append(item);
  }
}

// --- charts ---------------------------------------------------------------------------------

/** A line chart of `series` ([{ name, points: [[ms, value]] }]) into `svg`. */
function renderChart(svg, series) {
  const box = svg.getBoundingClientRect();
  const width = Math.max(240, Math.round(box.width));
  const height = Math.max(120, Math.round(box.height));
  const left = 40;
  const right = 8;
  const top = 8;
  const LEGEND_COLUMNS = 2;
  const LEGEND_ENTRIES = 6;
  const legendRows = Math.ceil(Math.min(series.length, LEGEND_ENTRIES) / LEGEND_COLUMNS);
  const bottom = 20 + 14 * legendRows;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.replaceChildren();
  const points = series.flatMap((s) => s.points);
  svg.dataset.points = String(points.length);
  svg.dataset.total = String(points.reduce((sum, p) => sum + p[1], 0));
  if (points.length === 0) {
    svg.append(el('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle' }, 'waiting for data…'));
    return;
  }
  const t0 = Math.min(...points.map((p) => p[0]));
  const t1 = Math.max(...points.map((p) => p[0]), t0 + 1000);
  const vmax = niceMax(Math.max(...points.map((p) => p[1]), 4));
  const plotH = height - top - bottom;
  const plotW = width - left - right;
  const x = (t) => left + ((t - t0) / (t1 - t0)) * plotW;
  const y = (v) => top + plotH - (v / vmax) * plotH;
  for (let i = 0; i <= 4; i++) {
    const v = (vmax * i) / 4;
    svg.append(el('line', { class: 'axis', x1: left, x2: width - right, y1: y(v), y2: y(v) }));
    svg.append(el('text', { x: left - 4, y: y(v) + 3, 'text-anchor': 'end' }, formatNumber(v)));
  }
  svg.append(el('text', { x: left, y: top + plotH + 12 }, clock(t0)));
  svg.append(el('text', { x: left + plotW / 2, y: top + plotH + 12, 'text-anchor': 'middle' }, clock(t1)));
  series.forEach((s, i) => {
    const color = SERIES_COLORS[i % SERIES_COLORS.length];
    if (s.points.length > 0) {
      const d = s.points
        .map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`)
        .join(' ');
      const path = el('path', { class: 'series', d, stroke: color, 'data-series': s.name });
      path.append(el('title', {}, `${s.name}: ${formatNumber(s.points[s.points.length - 1][1])}`));
      svg.append(path);
    }
    if (i < LEGEND_ENTRIES) {
      const lx = left + (i % LEGEND_COLUMNS) * (plotW / LEGEND_COLUMNS);
      const ly = top + plotH + 28 + Math.floor(i / LEGEND_COLUMNS) * 14;
      svg.append(el('rect', { x: lx, y: ly - 8, width: 8, height: 8, fill: color }));
      const last = s.points.length > 0 ? formatNumber(s.points[s.points.length - 1][1]) : '–';
      svg.append(
        el(
          'text',
          { x: lx + 12, y: ly, class: 'chart-legend' },
          `${shortenMiddle(displayName(s.name), Math.floor(plotW / LEGEND_COLUMNS / 6.5) - 6)}  ${last}`,
        ),
      );
    }
  });
  if (series.length > 9)
    svg.append(
      el('text', { x: width - right, y: height - 4, 'text-anchor': 'end' }, `+${series.length - 9} more`),
    );
}

function niceMax(v) {
  const power = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 2.5, 4, 5, 10]) if (v <= step * power) return step * power;
  return 10 * power;
}

function chartSeries(throughput, field) {
  return throughput.map((s) => ({
    name: `${s.topic}[${s.partition}]`,
    points: s.points.map((p) => [p.atMs, p[field]]),
  }));
}

// --- recovery, dead letters, tables -----------------------------------------------------------

function renderRecovery(recoveries) {
  const box = $('recovery');
  box.replaceChildren();
  const { inProgress, done } = recoveries;
  if (inProgress.length === 0 && done.length === 0) {
    box.className = 'muted';
    box.textContent = 'No table recovery yet.';
    return;
  }
  box.className = '';
  for (const r of inProgress) {
    const label = `${r.table}[${r.partition}]`;
    const row = html('div', { class: 'recovery-row', 'data-recovering': label });
    const pct = r.total > 0 ? Math.min(100, Math.round((100 * r.read) / r.total)) : 100;
    row.append(
      html(
        'div',
        {},
        `${label}  ${r.read}/${r.total}  ${r.recordsPerSec} rec/s${r.etaSec === undefined ? '' : `  ETA ${r.etaSec}s`}`,
      ),
    );
    const track = html('div', { class: 'bar-track' });
    const fill = html('div', { class: 'bar-fill' });
    fill.style.width = `${pct}%`;
    track.append(fill);
    row.append(track);
    box.append(row);
  }
  if (done.length > 0) {
    const records = done.reduce((sum, r) => sum + r.records, 0);
    const promoted = done.filter((r) => r.promoted).length;
    box.append(
      html(
        'div',
        { class: 'muted' },
        `${done.length} partition${done.length === 1 ? '' : 's'} recovered, ${records} changelog records read${promoted ? `, ${promoted} standby promoted` : ''}`,
      ),
    );
  }
}

function renderDeadLetters(letters) {
  const list = $('dead-letters');
  $('dead-count').textContent = letters.length > 0 ? `${letters.length} recent` : '';
  list.replaceChildren();
  if (letters.length === 0) {
    list.append(html('li', { class: 'muted' }, 'None: every record was processed.'));
    list.firstChild.style.background = 'none';
    list.firstChild.style.borderColor = 'var(--agent)';
    return;
  }
  for (const d of letters.slice(0, 20)) {
    const li = html('li', { 'data-dead-letter': `${d.topic}:${d.partition}:${d.offset}` });
    li.append(
      html(
        'div',
        { class: 'where' },
        `${clock(d.atMs)}  ${d.topic}[${d.partition}]@${d.offset} → ${d.deadLetterTopic}`,
      ),
    );
    li.append(html('div', { class: 'reason' }, shorten(d.reason, 240)));
    list.append(li);
  }
}

let tablesKey = '';
let tableKinds = new Map();

function renderTables(tables) {
  const key = JSON.stringify(tables);
  if (key === tablesKey) return;
  tablesKey = key;
  tableKinds = new Map(tables.map((t) => [t.name, t.windowKind]));
  const select = $('table-name');
  select.replaceChildren(
    ...tables.map((t) =>
      html('option', { value: t.name }, t.windowKind ? `${t.name} (${t.windowKind})` : t.name),
    ),
  );
}

/** The key as the app wrote it: JSON when it parses (1, "a", [1,2]), else the text itself. */
function keyParam(text) {
  return encodeURIComponent(text.trim());
}

async function lookUp(event) {
  event.preventDefault();
  const name = $('table-name').value;
  const key = $('table-key').value;
  const result = $('lookup-result');
  const timeline = $('timeline');
  if (!name || key.trim() === '') return;
  result.className = 'lookup-result muted';
  result.textContent = 'looking up…';
  timeline.hidden = true;
  const windowed = tableKinds.get(name) !== undefined;
  const path = `/tables/${encodeURIComponent(name)}/${keyParam(key)}${windowed ? '/windows' : ''}`;
  try {
    const response = await fetch(path, { headers: { accept: 'application/json' } });
    const body = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
    if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
    result.className = 'lookup-result';
    result.dataset.table = name;
    result.dataset.key = key.trim();
    if (windowed) {
      const windows = Array.isArray(body.windows) ? body.windows : [];
      const total = windows.reduce((sum, w) => sum + (typeof w.value === 'number' ? w.value : 0), 0);
      const drawn = windows.length > MAX_WINDOWS ? ` (the newest ${MAX_WINDOWS} drawn)` : '';
      result.textContent =
        windows.length === 0
          ? 'no windows for this key'
          : `${windows.length} window${windows.length === 1 ? '' : 's'}${drawn}, values adding up to ${formatNumber(total)}`;
      renderTimeline(timeline, windows);
    } else {
      result.textContent = JSON.stringify(body.value ?? body, null, 2);
      result.dataset.value = JSON.stringify(body.value ?? null);
    }
  } catch (error) {
    result.className = 'lookup-result error';
    result.textContent = error instanceof Error ? error.message : String(error);
  }
}

/** Windows drawn on the timeline: the newest. */
const MAX_WINDOWS = 120;

/** The windows of a key on a time axis: one bar per window, its value above it. */
function renderTimeline(svg, windows) {
  svg.replaceChildren();
  if (windows.length === 0) return;
  svg.hidden = false;
  const width = Math.max(240, Math.round(svg.getBoundingClientRect().width || 300));
  const height = 150;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const shown = windows.slice(-MAX_WINDOWS);
  const start = Math.min(...shown.map((w) => w.startMs));
  const end = Math.max(...shown.map((w) => w.endMs));
  const values = shown.map((w) => (typeof w.value === 'number' ? w.value : 1));
  const vmax = Math.max(...values, 1);
  const x = (t) => 6 + ((t - start) / Math.max(end - start, 1)) * (width - 12);
  const base = height - 24;
  shown.forEach((w, i) => {
    const h = Math.max(2, (values[i] / vmax) * (base - 20));
    const x0 = x(w.startMs);
    const barW = Math.max(2, x(w.endMs) - x0 - 1);
    const rect = el('rect', { x: x0, y: base - h, width: barW, height: h, 'data-window-start': w.startMs });
    rect.append(
      el(
        'title',
        {},
        `${new Date(w.startMs).toISOString()} – ${new Date(w.endMs).toISOString()}: ${JSON.stringify(w.value)}`,
      ),
    );
    svg.append(rect);
    if (barW > 14 || shown.length <= 12)
      svg.append(
        el(
          'text',
          { x: x0 + barW / 2, y: base - h - 3, 'text-anchor': 'middle', class: 'value' },
          typeof w.value === 'number' ? formatNumber(w.value) : '•',
        ),
      );
  });
  const iso = (ms) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  svg.append(el('text', { x: 6, y: height - 6 }, iso(start)));
  svg.append(el('text', { x: width - 6, y: height - 6, 'text-anchor': 'end' }, iso(end)));
}

// --- polling --------------------------------------------------------------------------------

let lastOk = 0;

async function poll() {
  try {
    const response = await fetch('./api/snapshot', { cache: 'no-store' });
    if (!response.ok) throw new Error(`${response.status}`);
    const snap = await response.json();
    lastOk = Date.now();
    $('app-id').textContent = snap.appId;
    appPrefix = `${snap.appId}-`;
    document.title = `Strom · ${snap.appId}`;
    const state = $('state');
    state.textContent = snap.state;
    state.dataset.state = snap.state;
    $('updated').textContent = `updated ${clock(snap.atMs)} UTC`;
    renderGraph(snap.topology);
    renderChart($('throughput'), chartSeries(snap.throughput, 'recordsPerSec'));
    renderChart($('lag'), chartSeries(snap.throughput, 'lag'));
    renderRecovery(snap.recoveries);
    renderDeadLetters(snap.deadLetters);
    renderTables(snap.tables);
  } catch {
    if (Date.now() - lastOk > 3 * POLL_MS) {
      const state = $('state');
      state.textContent = 'offline';
      state.dataset.state = 'offline';
    }
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

$('lookup').addEventListener('submit', lookUp);
poll();
