/**
 * Start, stop and inspect a real Apache Kafka broker (KRaft, combined broker + controller) or a
 * small cluster, as detached JVM processes. Used by `pnpm kafka`, the vitest global setup, the
 * 3-broker failover test and demo scripts.
 *
 * State lives under `stateDir` (default `<repo>/.kafka`, env `KAFKA_STATE_DIR`):
 *   libs-<version>/            jars fetched by Maven (see jars.ts); always under the *default*
 *                              state dir so a test cluster in its own state dir reuses them
 *   run/<deployment>/          "single" or "cluster-<n>": deployment.json, cluster.id
 *   run/<deployment>/node<i>/  server.properties, server.log, format.log, pid, data/
 *   bootstrap                  bootstrap servers of the last started deployment ("h:p,h:p")
 *
 * @example
 *   const { bootstrap, startedByUs } = await startKafka({ brokers: 1 });
 *   // ... use bootstrap ...
 *   if (startedByUs) await stopKafka({ brokers: 1 });
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { type DeploymentLayout, layout, type NodeLayout, serverProperties } from './config.js';
import { ensureKafkaJars, javaMajorVersion, type KafkaDistribution } from './jars.js';
import {
  defaultKafkaVersion,
  defaultPort,
  defaultStateDir,
  envMs,
  type Logger,
  scriptDir,
  stderrLogger,
} from './paths.js';
import { isAlive, readPid, removeFile, run, signal, sleep } from './process.js';
import { probeEach, waitForBrokers } from './readiness.js';

export interface StartOptions {
  /** Number of brokers (1 to 5). Default 1. */
  brokers?: number;
  /** Client port of a single broker, or the base of a cluster's ports. Default `KAFKA_PORT` or 9092. */
  port?: number;
  /** Default `KAFKA_STATE_DIR` or `<repo>/.kafka`. */
  stateDir?: string;
  /** Default `KAFKA_VERSION` or 4.1.2. Ignored when `KAFKA_HOME` is set. */
  version?: string;
  /** Default `KAFKA_START_TIMEOUT_MS` or 120 000. */
  startTimeoutMs?: number;
  /** Progress messages; default: stderr. */
  log?: Logger;
}

export interface StartedKafka {
  /** "127.0.0.1:9092" style addresses of every broker. */
  bootstrap: string[];
  /** False when the deployment was already running (then `start` was a no-op). */
  startedByUs: boolean;
  /** "single" or "cluster-<n>". */
  deployment: string;
  /** Kafka version of the running deployment. */
  version: string;
}

export interface StopOptions {
  /** Stop only this deployment; default: every deployment under the state dir. */
  brokers?: number;
  stateDir?: string;
  /** SIGKILL nodes still alive this long after SIGTERM. Default `KAFKA_STOP_TIMEOUT_MS` or 30 000. */
  timeoutMs?: number;
  log?: Logger;
}

export interface NodeStatus {
  nodeId: number;
  port: number;
  pid: number | undefined;
  alive: boolean;
}

export interface DeploymentStatus {
  deployment: string;
  brokers: number;
  version: string;
  bootstrap: string[];
  nodes: NodeStatus[];
  /** Most brokers any node's metadata lists (0 if none answers). */
  liveBrokers: number;
  /** Every node process is alive and every node answers, listing all brokers. */
  up: boolean;
}

interface DeploymentFile {
  brokers: number;
  port: number;
  version: string;
  startedAt: string;
}

const JVM_PERFORMANCE_OPTS = [
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-Djava.awt.headless=true',
  '-Djava.net.preferIPv4Stack=true',
];
const TOOL_JVM_OPTS = ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

const splitOpts = (raw: string | undefined, fallback: string[]): string[] =>
  raw?.trim() ? raw.trim().split(/\s+/) : fallback;

/**
 * Starts the deployment for `brokers` unless it is already running, and resolves once a kafkajs
 * admin client sees every broker. A fresh start wipes that deployment's data.
 */
export async function startKafka(options: StartOptions = {}): Promise<StartedKafka> {
  const log = options.log ?? stderrLogger;
  const stateDir = options.stateDir ?? defaultStateDir();
  const brokers = options.brokers ?? 1;
  const port = options.port ?? defaultPort();
  const timeoutMs = options.startTimeoutMs ?? envMs('KAFKA_START_TIMEOUT_MS', 120_000);
  const lay = layout(stateDir, brokers, port);

  // 1. already running? then this is a no-op (after making sure it answers)
  const existing = readDeploymentFile(lay.dir);
  const alive = lay.nodes.filter((n) => nodeAlive(n));
  if (existing && alive.length === lay.nodes.length) {
    if (existing.port !== port) {
      throw new Error(
        `${lay.name} is already running with port ${existing.port}, not ${port}; run 'pnpm kafka stop' first`,
      );
    }
    const running = layout(stateDir, brokers, existing.port);
    await waitForBrokers(running.bootstrap, brokers, {
      timeoutMs,
      checkProcesses: () => assertAlive(running),
    });
    writeBootstrapFile(stateDir, running.bootstrap);
    log(`${lay.name} already running (Kafka ${existing.version}): ${running.bootstrap.join(',')}`);
    const wanted = options.version ?? defaultKafkaVersion();
    if (!process.env.KAFKA_HOME && existing.version !== wanted) {
      log(`note: Kafka ${wanted} was asked for; run 'pnpm kafka stop' first to switch versions`);
    }
    return {
      bootstrap: running.bootstrap,
      startedByUs: false,
      deployment: lay.name,
      version: existing.version,
    };
  }
  if (alive.length > 0) {
    log(`${lay.name} is only partly running (${alive.length}/${lay.nodes.length} nodes); restarting it`);
    await stopKafka({ brokers, stateDir, log });
  }

  // 2. jars, java, free ports
  const t0 = performance.now();
  const dist = await ensureKafkaJars({
    version: options.version ?? defaultKafkaVersion(),
    cacheDir: defaultStateDir(),
    log,
  });
  const java = await javaMajorVersion();
  if (dist.major >= 4 && java < 17)
    throw new Error(`Kafka ${dist.version} needs Java 17+, found Java ${java}`);
  for (const node of lay.nodes) {
    await assertPortFree(node.port);
    await assertPortFree(node.controllerPort);
  }

  // 3. fresh state: config, cluster id, storage format (all nodes in parallel)
  const tFormat = performance.now();
  rmSync(lay.dir, { recursive: true, force: true });
  for (const node of lay.nodes) {
    mkdirSync(join(node.dir, 'data'), { recursive: true });
    writeFileSync(node.configFile, serverProperties(lay, node, dist.major));
  }
  const clusterId = newClusterId();
  writeFileSync(join(lay.dir, 'cluster.id'), `${clusterId}\n`);
  const file: DeploymentFile = { brokers, port, version: dist.version, startedAt: new Date().toISOString() };
  writeFileSync(join(lay.dir, 'deployment.json'), `${JSON.stringify(file, null, 2)}\n`);
  await Promise.all(lay.nodes.map((node) => formatStorage(dist, node, clusterId)));
  const formatMs = performance.now() - tFormat;

  // 4. launch detached JVMs, then wait until kafkajs sees all brokers
  const tSpawn = performance.now();
  for (const node of lay.nodes) spawnNode(dist, node);
  try {
    await waitForBrokers(lay.bootstrap, brokers, { timeoutMs, checkProcesses: () => assertAlive(lay) });
  } catch (err) {
    const tails = lay.nodes.map((n) => `--- ${n.logFile} (last lines)\n${tail(n.logFile, 25)}`).join('\n');
    await stopKafka({ brokers, stateDir, timeoutMs: 5_000, log });
    throw new Error(`${(err as Error).message}\n${tails}`);
  }
  const readyMs = performance.now() - tSpawn;
  writeBootstrapFile(stateDir, lay.bootstrap);
  log(
    `${lay.name}: Kafka ${dist.version}, ${brokers} broker(s) ready in ${sec(performance.now() - t0)} ` +
      `(format ${sec(formatMs)}, JVM start to ready ${sec(readyMs)}); logs in ${lay.dir}`,
  );
  return { bootstrap: lay.bootstrap, startedByUs: true, deployment: lay.name, version: dist.version };
}

/**
 * SIGTERM every node (all at once: parallel controlled shutdown), SIGKILL whatever is still alive
 * after `timeoutMs`, remove pid files (stale ones too). Stopping something stopped is a no-op.
 * @returns the deployments that had a live node.
 */
export async function stopKafka(options: StopOptions = {}): Promise<string[]> {
  const log = options.log ?? stderrLogger;
  const stateDir = options.stateDir ?? defaultStateDir();
  const timeoutMs = options.timeoutMs ?? envMs('KAFKA_STOP_TIMEOUT_MS', 30_000);
  const deployments = listDeployments(stateDir, options.brokers);
  const stopped: string[] = [];
  await Promise.all(
    deployments.map(async (lay) => {
      const t0 = performance.now();
      const alive = lay.nodes.filter((n) => nodeAlive(n));
      for (const node of alive) signalNode(node, 'SIGTERM');
      const deadline = Date.now() + timeoutMs;
      while (alive.some((n) => nodeAlive(n)) && Date.now() < deadline) await sleep(100);
      const stuck = alive.filter((n) => nodeAlive(n));
      for (const node of stuck) signalNode(node, 'SIGKILL');
      if (stuck.length > 0) {
        log(
          `${lay.name}: node(s) ${stuck.map((n) => n.nodeId).join(',')} ignored SIGTERM for ${timeoutMs} ms: SIGKILL`,
        );
        await waitDead(stuck, 5_000);
      }
      for (const node of lay.nodes) removeFile(node.pidFile);
      if (alive.length > 0) {
        stopped.push(lay.name);
        log(`${lay.name}: stopped ${alive.length} node(s) in ${sec(performance.now() - t0)}`);
        const bootstrapFile = join(stateDir, 'bootstrap');
        if (
          existsSync(bootstrapFile) &&
          readFileSync(bootstrapFile, 'utf8').trim() === lay.bootstrap.join(',')
        ) {
          removeFile(bootstrapFile);
        }
      }
    }),
  );
  if (stopped.length === 0) log('nothing running');
  return stopped;
}

/** Status of every deployment under the state dir (or only the one for `brokers`). */
export async function kafkaStatus(
  options: { brokers?: number; stateDir?: string } = {},
): Promise<DeploymentStatus[]> {
  const stateDir = options.stateDir ?? defaultStateDir();
  return Promise.all(
    listDeployments(stateDir, options.brokers).map(async (lay) => {
      const file = readDeploymentFile(lay.dir);
      const nodes = lay.nodes.map((n) => {
        const pid = readPid(n.pidFile);
        return { nodeId: n.nodeId, port: n.port, pid, alive: nodeAlive(n) };
      });
      const counts = nodes.some((n) => n.alive) ? await probeEach(lay.bootstrap, 3_000) : [0];
      return {
        deployment: lay.name,
        brokers: lay.brokers,
        version: file?.version ?? '?',
        bootstrap: lay.bootstrap,
        nodes,
        liveBrokers: Math.max(...counts),
        up: nodes.every((n) => n.alive) && counts.every((c) => c >= lay.brokers),
      };
    }),
  );
}

/** SIGKILLs one node of a running deployment (failover tests) and waits until it is gone. */
export async function killKafkaNode(options: {
  brokers: number;
  nodeId: number;
  stateDir?: string;
}): Promise<void> {
  const stateDir = options.stateDir ?? defaultStateDir();
  const [lay] = listDeployments(stateDir, options.brokers);
  const node = lay?.nodes.find((n) => n.nodeId === options.nodeId);
  if (!lay || !node)
    throw new Error(`no node ${options.nodeId} in a ${options.brokers}-broker deployment under ${stateDir}`);
  if (!nodeAlive(node)) throw new Error(`${lay.name} node ${options.nodeId} is not running`);
  signalNode(node, 'SIGKILL');
  await waitDead([node], 10_000);
  removeFile(node.pidFile);
}

// ---------------------------------------------------------------- internals -----------

function sec(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function readDeploymentFile(dir: string): DeploymentFile | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(dir, 'deployment.json'), 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const f = parsed as Partial<DeploymentFile>;
  if (typeof f.brokers !== 'number' || typeof f.port !== 'number' || typeof f.version !== 'string')
    return undefined;
  return { brokers: f.brokers, port: f.port, version: f.version, startedAt: String(f.startedAt) };
}

function listDeployments(stateDir: string, brokers?: number): DeploymentLayout[] {
  const runDir = join(stateDir, 'run');
  if (!existsSync(runDir)) return [];
  const result: DeploymentLayout[] = [];
  for (const entry of readdirSync(runDir)) {
    const file = readDeploymentFile(join(runDir, entry));
    if (!file || (brokers !== undefined && file.brokers !== brokers)) continue;
    const lay = layout(stateDir, file.brokers, file.port);
    if (lay.name === entry) result.push(lay);
  }
  return result;
}

function nodeAlive(node: NodeLayout): boolean {
  const pid = readPid(node.pidFile);
  return pid !== undefined && isAlive(pid, node.configFile);
}

function signalNode(node: NodeLayout, sig: NodeJS.Signals): void {
  const pid = readPid(node.pidFile);
  if (pid !== undefined && isAlive(pid, node.configFile)) signal(pid, sig);
}

async function waitDead(nodes: NodeLayout[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (nodes.some((n) => nodeAlive(n)) && Date.now() < deadline) await sleep(50);
}

function assertAlive(lay: DeploymentLayout): void {
  const dead = lay.nodes.find((n) => !nodeAlive(n));
  if (dead) throw new Error(`${lay.name} node ${dead.nodeId} exited during startup (log: ${dead.logFile})`);
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function writeBootstrapFile(stateDir: string, bootstrap: string[]): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, 'bootstrap'), `${bootstrap.join(',')}\n`);
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port 127.0.0.1:${port} is already in use by another process (another Kafka? set KAFKA_PORT, or KAFKA_BROKERS to use it)`
            : `cannot bind 127.0.0.1:${port}: ${err.message}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePromise()));
  });
}

/**
 * Same format as Kafka's `Uuid.randomUuid().toString()` (what `StorageTool random-uuid` prints):
 * 16 random bytes, base64url without padding, never starting with '-'. Saves a JVM start.
 */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function logOpt(dist: KafkaDistribution, tool: boolean): string {
  return dist.major >= 4
    ? `-Dlog4j2.configurationFile=${join(scriptDir, tool ? 'log4j2-tools.properties' : 'log4j2.properties')}`
    : `-Dlog4j.configuration=file:${join(scriptDir, tool ? 'log4j-tools.properties' : 'log4j.properties')}`;
}

async function formatStorage(dist: KafkaDistribution, node: NodeLayout, clusterId: string): Promise<void> {
  // with static `controller.quorum.voters`, 4.x rejects --standalone / --initial-controllers
  const args = [
    ...TOOL_JVM_OPTS,
    logOpt(dist, true),
    '-cp',
    join(dist.libsDir, '*'),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    node.configFile,
    '--ignore-formatted',
  ];
  const res = await run('java', args, node.dir);
  writeFileSync(join(node.dir, 'format.log'), res.output);
  if (res.code !== 0) throw new Error(`storage format failed for node ${node.nodeId}:\n${res.output.trim()}`);
}

function spawnNode(dist: KafkaDistribution, node: NodeLayout): void {
  const args = [
    ...splitOpts(process.env.KAFKA_HEAP_OPTS, ['-Xms512m', '-Xmx512m']),
    ...splitOpts(process.env.KAFKA_JVM_PERFORMANCE_OPTS, JVM_PERFORMANCE_OPTS),
    logOpt(dist, false),
    '-cp',
    join(dist.libsDir, '*'),
    'kafka.Kafka',
    node.configFile,
  ];
  const out = openSync(node.logFile, 'a');
  try {
    // detached + unref + stdio to a file: the JVM outlives `pnpm kafka start` and the test runner
    const child = spawn('java', args, { cwd: node.dir, detached: true, stdio: ['ignore', out, out] });
    child.on('error', () => undefined); // reported through the readiness check (node not alive)
    if (child.pid === undefined) throw new Error('could not spawn java');
    writeFileSync(node.pidFile, `${child.pid}\n`);
    child.unref();
  } finally {
    closeSync(out);
  }
}
