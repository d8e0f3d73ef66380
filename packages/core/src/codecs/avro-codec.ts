import type avro from 'avsc';
import { ConfigError, StromError } from '../errors/errors.js';
import { type CompatibilityLevel, compatibilityProblems, readProblem } from './avro-compatibility.js';
import { type AvroSchema, avroType, type DerivedAvro, zodToAvro } from './avro-schema.js';
import type { Codec, CodecBinding } from './codecs.js';
import {
  DEFAULT_SCHEMA_REGISTRY_URL,
  isRegistryNotFound,
  type SchemaRegistryClient,
  SchemaRegistryError,
  schemaRegistryClient,
} from './schema-registry-client.js';

/** Options of {@link avroCodec}. */
export interface AvroCodecOptions {
  /** Schema registry API URL, path included; default: `SCHEMA_REGISTRY_URL` from the environment, else {@link DEFAULT_SCHEMA_REGISTRY_URL} (`pnpm registry`). */
  registryUrl?: string;
  /**
   * Subject of the schema: `topic` (TopicNameStrategy, `<topic>-key` / `<topic>-value`) or
   * `record` (RecordNameStrategy, the record's full name). Default `topic`.
   */
  subjectStrategy?: 'topic' | 'record';
  /** Name of the top-level record; default: the topic in PascalCase (`rides` -> `Rides`). */
  name?: string;
  /** Namespace of the top-level record. */
  namespace?: string;
  /** Compatibility level set on the subject at start; default: leave the registry's. */
  compatibility?: CompatibilityLevel;
  /** Register the schema if the subject lacks it (default true); false: only look it up. */
  autoRegister?: boolean;
}

/** Tries and backoff of fetching a writer's schema from a registry that does not answer: about 5 s in all. */
const FETCH_ATTEMPTS = 4;
const FETCH_BACKOFF_MS = 800;

/** Magic byte + 4-byte schema id, then the Avro payload (the Confluent wire format). */
const HEADER_BYTES = 5;

/** Why decoding failed: the message is the dead-letter reason. */
class AvroDecodeError extends Error {
  override readonly name = 'AvroDecodeError';
}

type Writer = { resolver: avro.Resolver | undefined } | { error: string };

/** The Avro codec bound to one topic part. */
class AvroTopicCodec implements Codec {
  readonly name = 'avro';
  readonly subject: string;
  private readonly derived: DerivedAvro;
  private readonly schemaJson: string;
  private readonly reader: avro.Type;
  private readonly writers = new Map<number, Writer>();
  private id: number | undefined;
  private header: Buffer | undefined;

  constructor(
    private readonly options: AvroCodecOptions,
    private readonly binding: CodecBinding,
  ) {
    const { topic, part, schema } = binding;
    if (!schema)
      throw new ConfigError(`the avro codec of topic '${topic}' needs a zod schema for the ${part}`);
    this.derived = zodToAvro(schema, options.name ?? topic);
    let avroSchema: AvroSchema = this.derived.schema;
    if (options.namespace && typeof avroSchema === 'object' && !Array.isArray(avroSchema))
      avroSchema = { ...avroSchema, namespace: options.namespace };
    this.schemaJson = JSON.stringify(avroSchema);
    this.reader = avroType(avroSchema);
    this.subject = this.subjectOf(avroSchema);
  }

  private subjectOf(schema: AvroSchema): string {
    const { topic, part } = this.binding;
    if ((this.options.subjectStrategy ?? 'topic') === 'topic') return `${topic}-${part}`;
    if (typeof schema !== 'object' || Array.isArray(schema) || schema.type !== 'record')
      throw new ConfigError(`subjectStrategy 'record' needs a z.object() ${part} on topic '${topic}'`);
    return this.options.namespace ? `${this.options.namespace}.${String(schema.name)}` : String(schema.name);
  }

  private registry(): SchemaRegistryClient {
    return schemaRegistryClient(
      this.options.registryUrl ?? process.env.SCHEMA_REGISTRY_URL ?? DEFAULT_SCHEMA_REGISTRY_URL,
    );
  }

  async prepare(): Promise<void> {
    if (this.id !== undefined) return;
    const registry = this.registry();
    if (this.options.compatibility) await registry.setCompatibility(this.options.compatibility, this.subject);
    let id: number;
    try {
      id =
        this.options.autoRegister === false
          ? (await registry.lookup(this.subject, this.schemaJson)).id
          : await registry.register(this.subject, this.schemaJson);
    } catch (error) {
      throw await this.explain(registry, error);
    }
    this.id = id;
    this.header = Buffer.alloc(HEADER_BYTES);
    this.header.writeUInt32BE(id, 1);
    this.writers.set(id, { resolver: undefined });
  }

  /** A one-line error naming the topic, the subject and (for a refused schema) the field and rule. */
  private async explain(registry: SchemaRegistryClient, error: unknown): Promise<StromError> {
    const { topic, part } = this.binding;
    const what = `the Avro ${part} schema of topic '${topic}' (subject '${this.subject}')`;
    if (!(error instanceof SchemaRegistryError)) return new StromError('SCHEMA', `${what}: ${String(error)}`);
    if (error.status === 409) {
      // the registry's own text differs between implementations: name the field ourselves
      const problems = await this.localProblems(registry).catch(() => []);
      const why = problems[0] ?? error.message.split('\n')[0];
      return new StromError('SCHEMA', `${what} is incompatible with the registered one: ${why}`, {
        cause: error,
      });
    }
    if (isRegistryNotFound(error) && this.options.autoRegister === false)
      return new StromError('SCHEMA', `${what} is not registered, and autoRegister is false`, {
        cause: error,
      });
    return new StromError('SCHEMA', `${what} could not be registered: ${error.message}`, { cause: error });
  }

  private async localProblems(registry: SchemaRegistryClient): Promise<string[]> {
    const [level, versions] = await Promise.all([
      registry.compatibility(this.subject),
      registry.versions(this.subject),
    ]);
    const existing = await Promise.all(versions.map((v) => registry.version(this.subject, v)));
    return compatibilityProblems(this.schemaJson, existing, level);
  }

  encode(value: unknown): Buffer {
    if (!this.header) {
      throw new StromError(
        'ENCODE',
        `the avro codec of topic '${this.binding.topic}' has no schema id yet: send through the topic (it registers the schema first) or await topic.prepare()`,
      );
    }
    try {
      return Buffer.concat([this.header, this.reader.toBuffer(value)]);
    } catch {
      throw new StromError(
        'ENCODE',
        `${this.binding.part} does not fit the Avro schema of topic '${this.binding.topic}': ${this.misfit(value)}`,
      );
    }
  }

  /** Where a value does not fit the schema: `total_amount: "x" is not a double`. */
  private misfit(value: unknown): string {
    const problems: string[] = [];
    this.reader.isValid(value, {
      errorHook: (path, found, type) => {
        const expected = typeof type.typeName === 'string' ? type.typeName.replace(/^logical:/, '') : 'value';
        problems.push(
          `${path.join('.') || 'the value'}: ${JSON.stringify(found) ?? 'undefined'} is not ${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`,
        );
      },
    });
    return problems.join('; ') || 'the Avro encoder refused it';
  }

  decode(bytes: Buffer): unknown {
    if (bytes.length < HEADER_BYTES || bytes[0] !== 0) {
      throw new AvroDecodeError(
        `not in the Confluent Avro wire format (${bytes.length < HEADER_BYTES ? `${bytes.length} bytes` : `magic byte ${bytes[0]}, expected 0`})`,
      );
    }
    const id = bytes.readUInt32BE(1);
    const writer = this.writers.get(id);
    if (!writer) throw new AvroDecodeError(`schema id ${id} could not be fetched from the registry`);
    if ('error' in writer) throw new AvroDecodeError(writer.error);
    let value: unknown;
    try {
      value = this.reader.fromBuffer(bytes.subarray(HEADER_BYTES), writer.resolver);
    } catch (error) {
      throw new AvroDecodeError(`undecodable Avro payload (schema id ${id}): ${(error as Error).message}`);
    }
    return this.derived.fromAvro(value);
  }

  async preload(batch: readonly (Buffer | null)[]): Promise<void> {
    let missing: Set<number> | undefined;
    for (const bytes of batch) {
      if (!bytes || bytes.length < HEADER_BYTES || bytes[0] !== 0) continue;
      const id = bytes.readUInt32BE(1);
      if (!this.writers.has(id)) (missing ??= new Set()).add(id);
    }
    if (!missing) return;
    await Promise.all([...missing].map((id) => this.loadWriter(id)));
  }

  private async loadWriter(id: number): Promise<void> {
    let text: string | undefined;
    // a registry that is briefly away (restart, overload) gets a few seconds before the records
    // that need it are dead-lettered; a failure is not cached, so the next batch asks again
    for (let attempt = 1; text === undefined; attempt++) {
      try {
        text = await this.registry().schemaById(id);
      } catch (error) {
        if (isRegistryNotFound(error)) {
          this.writers.set(id, { error: `unknown schema id ${id} (the registry has no such schema)` });
          return;
        }
        const passing = error instanceof SchemaRegistryError && (error.status === 0 || error.status >= 500);
        if (!passing || attempt >= FETCH_ATTEMPTS) return;
        await new Promise((r) => setTimeout(r, FETCH_BACKOFF_MS * attempt));
      }
    }
    let writer: avro.Type;
    try {
      writer = avroType(JSON.parse(text) as AvroSchema);
    } catch (error) {
      this.writers.set(id, { error: `schema id ${id} is not an Avro schema: ${(error as Error).message}` });
      return;
    }
    try {
      this.writers.set(id, { resolver: this.reader.createResolver(writer) });
    } catch {
      const problem = readProblem(this.reader, writer) ?? 'incompatible types';
      this.writers.set(id, {
        error: `schema mismatch: data written with schema id ${id} cannot be read as ${this.subject}: ${problem}`,
      });
    }
  }
}

/**
 * Avro in the Confluent wire format through a schema registry. The Avro schema comes from the
 * topic's zod schema (see docs/avro.md for the mapping); it is registered (or looked up) under
 * the subject at worker start or before the first send, and writers' schemas are fetched by id
 * and read into it. Records that cannot be read go to the dead-letter topic with the reason.
 *
 * @example
 * const rides = app.topic('rides', { value: Ride, valueCodec: avroCodec({ compatibility: 'BACKWARD' }) })
 */
export function avroCodec(options: AvroCodecOptions = {}): Codec {
  const unbound = (): never => {
    throw new ConfigError("the avro codec works per topic: set it as a topic's keyCodec or valueCodec");
  };
  return {
    name: 'avro',
    encode: unbound,
    decode: unbound,
    bind: (binding) => new AvroTopicCodec(options, binding),
  };
}
