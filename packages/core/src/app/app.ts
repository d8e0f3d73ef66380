import { randomUUID } from 'node:crypto';
import { AppReset, type ResetPlan, type ResetSubject } from '../admin/app-reset.js';
import { type ReadTopicOptions, type RecordsHandler, TopicReader } from '../admin/topic-reader.js';
import { Agent, type AgentFn, type AgentOptions } from '../agents/agent.js';
import { ConfigError } from '../errors/errors.js';
import { createLogger, type Logger, type LogLevel } from '../logging/logger.js';
import type { Stream } from '../streams/stream.js';
import { changelogCodec } from '../tables/changelog.js';
import { Table, type TableOptions } from '../tables/table.js';
import { isInternalKeyId } from '../tables/windowed-table.js';
import { testAgent } from '../testing/agent-harness.js';
import type { Topic, TopicOptions } from '../topics/topic.js';
import { createKafkaJsClient } from '../transport/kafkajs-client.js';
import type { AdminClient, KafkaClient } from '../transport/types.js';
import { memberWebUrls } from '../web/partition-owners.js';
import type { WebRoutes } from '../web/web-server.js';
import { setUpTopics } from '../worker/topic-setup.js';
import { Worker } from '../worker/worker.js';
import { calledFromEntryScript, isCliLoading, registerApp, runCliFor } from './cli-bridge.js';
import { AppContext } from './context.js';
import { type AppOptions, type AppSettings, resolveSettings } from './settings.js';

export type AgentSource<V, K> = Topic<V, K> | ReadonlyArray<Topic<V, K>> | string;

type AgentMethod<This, V, K, Out> = (
  this: This,
  stream: Stream<V, K>,
) => Promise<void> | void | AsyncIterable<Out>;

/**
 * A Strom application: its topics, agents and settings. Construction does no I/O; a worker
 * (`app.createWorker()`, `strom worker`, or `app.main()` + `tsx app.ts worker`) runs it.
 *
 * @example
 * export const app = new App({ id: 'rides', broker: 'localhost:9092' })
 * const rides = app.topic('rides', { value: Ride })
 * app.agent(rides, async (stream) => { for await (const ride of stream) console.log(ride) })
 * app.main()
 */
export class App {
  readonly id: string;
  readonly settings: AppSettings;
  readonly log: Logger;
  /** @internal shared with topics, agents, workers and the test harness */
  readonly context: AppContext;
  private readonly agentList: Agent[] = [];
  private kafkaClient: KafkaClient | undefined;

  constructor(options: AppOptions) {
    this.settings = resolveSettings(options);
    this.id = this.settings.id;
    this.log =
      this.settings.logger ??
      createLogger({ name: this.id, level: this.settings.logLevel, format: this.settings.logFormat });
    this.context = new AppContext(this.settings, this.log, () => this.client());
    registerApp(this);
  }

  /** Declares a topic; the zod schemas type what agents receive. */
  topic<V = unknown, K = unknown>(name: string, options: TopicOptions<V, K> = {}): Topic<V, K> {
    return this.context.declare(name, options);
  }

  /**
   * Declares an agent over `source` (a topic, several topics, or a topic name).
   * Without `fn` it returns a method decorator (TS 5 standard decorators) doing the same.
   *
   * @example
   * app.agent(rides, async function* (stream) { for await (const r of stream) yield r.total_amount }, { sink: [totals] })
   */
  agent<V, K, Out = unknown>(
    source: AgentSource<V, K>,
    fn: AgentFn<V, K, Out>,
    options?: AgentOptions<Out>,
  ): Agent<V, K, Out>;
  agent<V, K, Out = unknown>(
    source: AgentSource<V, K>,
    options?: AgentOptions<Out>,
  ): <This>(method: AgentMethod<This, V, K, Out>, context: ClassMethodDecoratorContext<This>) => void;
  agent<V, K, Out = unknown>(
    source: AgentSource<V, K>,
    fnOrOptions?: AgentFn<V, K, Out> | AgentOptions<Out>,
    maybeOptions?: AgentOptions<Out>,
  ) {
    const topics = this.resolveSource(source);
    if (typeof fnOrOptions === 'function') {
      const name = maybeOptions?.name ?? (fnOrOptions.name || `agent${this.agentList.length + 1}`);
      return this.addAgent(
        new Agent<V, K, Out>(topics, fnOrOptions, { ...maybeOptions, name }, this.context),
      );
    }
    const options = fnOrOptions ?? {};
    return <This>(method: AgentMethod<This, V, K, Out>, context: ClassMethodDecoratorContext<This>) => {
      let self: This | undefined;
      context.addInitializer(function (this: This) {
        self = this;
      });
      const name = options.name ?? String(context.name);
      const fn: AgentFn<V, K, Out> = (stream) => method.call(self as This, stream);
      this.addAgent(new Agent<V, K, Out>(topics, fn, { ...options, name }, this.context));
    };
  }

  /**
   * Declares a table: a key/value store per partition with a changelog topic
   * `<appId>-<name>-changelog`. Write it from agents; read it anywhere.
   */
  table<K, V>(name: string, options: TableOptions<K, V> & { default: () => V }): Table<K, V, V>;
  table<K, V>(name: string, options?: TableOptions<K, V>): Table<K, V, V | undefined>;
  table<K, V>(name: string, options: TableOptions<K, V> = {}): Table<K, V, V | undefined> {
    return this.addTable(name, options);
  }

  private addTable<K, V>(
    name: string,
    options: TableOptions<K, V> & { global?: boolean },
  ): Table<K, V, V | undefined> {
    if (!/^[A-Za-z0-9._-]+$/.test(name))
      throw new ConfigError(`table "${name}": use letters, digits, ".", "_" and "-"`);
    if (this.context.tables.some((t) => t.name === name))
      throw new ConfigError(`table "${name}" is declared twice`);
    const changelog = this.context.declare(`${this.id}-${name}-changelog`, {
      internal: true,
      keyCodec: 'json',
      valueCodec: 'json',
      partitions: options.partitions,
      config: { 'cleanup.policy': 'compact' },
    });
    const table = new Table<K, V, V | undefined>(name, changelog, options);
    this.context.tables.push(table as unknown as Table<unknown, unknown>);
    return table;
  }

  /**
   * Declares a global table: every worker loads all of it and keeps following its changelog,
   * so any key can be read anywhere (lookups, joins). Writes go to the key's changelog
   * partition and may come from anywhere; it is held in memory.
   */
  globalTable<K, V>(name: string, options: TableOptions<K, V> & { default: () => V }): Table<K, V, V>;
  globalTable<K, V>(name: string, options?: TableOptions<K, V>): Table<K, V, V | undefined>;
  globalTable<K, V>(name: string, options: TableOptions<K, V> = {}): Table<K, V, V | undefined> {
    return this.addTable(name, { ...options, global: true });
  }

  get tables(): readonly Table<unknown, unknown>[] {
    return this.context.tables;
  }

  get agents(): readonly Agent[] {
    return this.agentList;
  }

  /** Every topic the app declared so far (derived topics appear once a worker started the agents). */
  topics(): Topic[] {
    return this.context.allTopics();
  }

  /**
   * Adds routes to the web server of this app's workers (on with the `web` setting): a hono
   * app and a read-only view of the worker. See docs/web.md.
   *
   * @example
   * app.addWebRoutes((web, worker) => web.get('/hello', (c) => c.json({ app: worker.appId })))
   */
  addWebRoutes(routes: WebRoutes): void {
    this.context.webRoutes.push(routes);
  }

  /** A worker for this app; `await worker.start()` joins the group. */
  createWorker(options: { logLevel?: LogLevel } = {}): Worker {
    if (options.logLevel) this.log.level = options.logLevel;
    return new Worker({
      context: this.context,
      agents: this.agentList,
      client: this.client(),
      log: this.log,
    });
  }

  /**
   * Starts each agent without a broker (on empty in-memory streams) to learn the topics it
   * derives with groupBy/through; returns the topics the agents read.
   */
  async discoverTopics(): Promise<Topic[]> {
    const subscribed = new Set<Topic>();
    for (const agent of this.agentList) {
      const harness = await testAgent(agent);
      for (const topic of harness.subscribedTopics()) subscribed.add(topic);
      await harness.stop();
    }
    return [...subscribed];
  }

  /** Creates the app's missing topics (declared, derived, dead-letter); returns those it created. */
  async createTopics(): Promise<string[]> {
    const subscribed = await this.discoverTopics();
    return this.withAdmin(async (admin) => (await setUpTopics(admin, this.context, subscribed)).created);
  }

  /** The app's topics with their partition count on the broker (undefined: not created yet). */
  async describeTopics(): Promise<
    Array<{ name: string; partitions: number | undefined; internal: boolean }>
  > {
    const subscribed = await this.discoverTopics();
    const names = [...this.topics().map((t) => t.name), ...new Set(subscribed.map((t) => t.deadLetterTopic))];
    const counts = await this.withAdmin((admin) => admin.partitionCounts(names));
    return names.map((name) => ({
      name,
      partitions: counts.get(name),
      internal: this.topics().find((t) => t.name === name)?.internal ?? true,
    }));
  }

  /**
   * A table's current contents, read from its changelog: works with no worker running.
   * Keys are the keys' JSON texts (as in `toObject()`).
   */
  async readTable(name: string): Promise<Map<string, unknown>> {
    const table = this.tableNamed(name);
    const contents = new Map<string, unknown>();
    const reader = this.client().changelogReader({
      groupId: `${this.id}-table-reader-${randomUUID()}`,
      maxBytesPerPartition: this.settings.maxBytesPerPartition,
    });
    try {
      const offsets = await this.withAdmin(async (admin) => {
        if (!(await admin.listTopics()).includes(table.changelog.name)) {
          throw new ConfigError(
            `${table} has no changelog yet (${table.changelog.name}): run a worker of ${this.id} first`,
          );
        }
        return admin.topicOffsets(table.changelog.name);
      });
      await reader.start([table.changelog.name]);
      for (const { partition, low, high } of offsets) {
        await reader.read(table.changelog.name, partition, low, high, (messages) => {
          for (const m of messages) {
            const [id, value] = changelogCodec.decode(m);
            if (isInternalKeyId(id)) continue;
            const text = id.startsWith('"') ? (JSON.parse(id) as string) : id;
            if (value === undefined) contents.delete(text);
            else contents.set(text, value);
          }
        });
      }
    } finally {
      await reader.stop();
    }
    return contents;
  }

  /**
   * Reads records of a topic outside the app's group, committing nothing (`strom topic tail`):
   * the last `limit` (10) by default, or from the beginning; with `follow`, new records as they
   * come until `signal` aborts. Resolves with the number of records handed to `onRecords`.
   *
   * @example
   * await app.readTopic('rides', { from: 'beginning', limit: 5 }, (records) => console.log(records))
   */
  readTopic(name: string, options: ReadTopicOptions, onRecords: RecordsHandler): Promise<number> {
    const reader = new TopicReader({
      client: this.client(),
      groupId: `${this.id}-topic-reader-${randomUUID()}`,
      maxBytesPerPartition: this.settings.maxBytesPerPartition,
    });
    return reader.read(name, options, onRecords);
  }

  /** What {@link reset} would do now: nothing is changed (`strom reset --dry-run`). */
  async planReset(): Promise<ResetPlan> {
    const subject = await this.resetSubject();
    return this.withAdmin((admin) => new AppReset(admin, subject).plan());
  }

  /**
   * Makes the app start over from its input topics (`strom reset`): deletes its consumer group
   * (committed offsets), its changelog and repartition topics, and its state directory on this
   * machine. Refuses while workers of the app are in the group. Resolves with what it did.
   */
  async reset(): Promise<ResetPlan> {
    const subject = await this.resetSubject();
    return this.withAdmin((admin) => new AppReset(admin, subject).run());
  }

  private async resetSubject(): Promise<ResetSubject> {
    const subscribed = await this.discoverTopics();
    return {
      appId: this.id,
      internalTopics: this.topics()
        .filter((t) => t.internal)
        .map((t) => t.name),
      deadLetterTopics: [...new Set(subscribed.map((t) => t.deadLetterTopic))],
      sourceTopics: subscribed.map((t) => t.name),
      stateDir: this.settings.stateDir,
    };
  }

  /** The app's tables: partitions of their changelogs and which worker owns each partition now. */
  async describeTables(): Promise<
    Array<{ name: string; changelog: string; partitions: number | undefined; owners: Record<number, string> }>
  > {
    return this.withAdmin(async (admin) => {
      const members = await admin.groupMembers(this.id);
      const topics = [...new Set(members.flatMap((m) => m.assignment.map((a) => a.topic)))];
      const counts = await admin.partitionCounts([...topics, ...this.tables.map((t) => t.changelog.name)]);
      return this.tables.map((table) => {
        const partitions = counts.get(table.changelog.name);
        const owners: Record<number, string> = {};
        for (const member of members) {
          for (const { topic, partitions: assigned } of member.assignment) {
            if (counts.get(topic) !== partitions) continue;
            for (const p of assigned)
              owners[p] = `${member.clientId}@${member.host} (${member.memberId.slice(-8)})`;
          }
        }
        return { name: table.name, changelog: table.changelog.name, partitions, owners };
      });
    });
  }

  /**
   * The web URLs of this app's running workers (those with `web: true`), from the consumer
   * group's assignment data; empty when none runs. Any of them answers table queries.
   */
  async webUrls(): Promise<string[]> {
    return this.withAdmin(async (admin) => memberWebUrls(await admin.groupMembers(this.id)));
  }

  private tableNamed(name: string): Table<unknown, unknown> {
    const table = this.tables.find((t) => t.name === name);
    if (!table) {
      throw new ConfigError(
        `no table "${name}" in app ${this.id}: it has ${this.tables.map((t) => t.name).join(', ') || 'none'}`,
      );
    }
    return table;
  }

  private async withAdmin<T>(use: (admin: AdminClient) => Promise<T>): Promise<T> {
    const admin = this.client().admin();
    await admin.connect();
    try {
      return await use(admin);
    } finally {
      await admin.disconnect();
    }
  }

  /** Waits until records sent outside a worker (scripts, producers) are acknowledged. */
  async flush(): Promise<void> {
    await this.context.sender().flush();
  }

  /** Flushes and closes the producer used outside a worker. */
  async stop(): Promise<void> {
    await this.context.closeStandalone();
  }

  /** The Kafka client factory (kafkajs), created on first use. */
  client(): KafkaClient {
    this.kafkaClient ??= createKafkaJsClient(
      {
        clientId: this.id,
        // kafkajs waits up to 30 s between retries by default: a topic created a moment ago
        // (metadata not everywhere yet) stalled a worker's start for that long
        retry: { initialRetryTime: 100, maxRetryTime: 3000, retries: 8 },
        ...this.settings.kafka,
        brokers: this.settings.brokers,
      },
      this.log,
    );
    return this.kafkaClient;
  }

  /**
   * Runs the `strom` command line for this app: `tsx app.ts worker`, `tsx app.ts send ...`.
   * Does nothing while the `strom` CLI itself imports the file. Needs `@strom/cli` installed.
   */
  main(argv: string[] = process.argv.slice(2)): void {
    if (isCliLoading()) return;
    // like Python's `if __name__ == '__main__'`: an app file imported by another script stays quiet
    if (!calledFromEntryScript()) return;
    void runCliFor(this, argv);
  }

  private addAgent<V, K, Out>(agent: Agent<V, K, Out>): Agent<V, K, Out> {
    if (this.agentList.some((a) => a.name === agent.name)) {
      throw new ConfigError(`two agents are named "${agent.name}": give one a { name }`);
    }
    this.agentList.push(agent as unknown as Agent);
    return agent;
  }

  private resolveSource<V, K>(source: AgentSource<V, K>): Array<Topic<V, K>> {
    if (typeof source === 'string') return [this.context.named(source) as Topic<V, K>];
    return Array.isArray(source) ? [...source] : [source as Topic<V, K>];
  }
}
