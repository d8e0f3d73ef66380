import type { ZodType } from 'zod';
import { z } from 'zod';
import { type Codec, type CodecSpec, topicCodec } from '../codecs/codecs.js';
import { describeError } from '../errors/errors.js';
import type { RecordSender } from '../producer/buffered-producer.js';
import { currentEvent } from '../streams/current-event.js';
import type { Headers, InboundMessage, RecordOrigin } from '../transport/types.js';

/** Options of `app.topic(name, options)`. Schemas give agents typed values with no casts. */
export interface TopicOptions<V, K> {
  /** zod schema of the key; without it keys are whatever the key codec decodes. */
  key?: ZodType<K>;
  /** zod schema of the value; a value that fails it goes to the dead-letter topic. */
  value?: ZodType<V>;
  /** Key codec; default: the app's `keyCodec` (json). */
  keyCodec?: CodecSpec;
  /** Value codec; default: the app's `valueCodec` (json). */
  valueCodec?: CodecSpec;
  /** Partitions when Strom creates the topic; default: the app's `topicPartitions`. */
  partitions?: number;
  /** Replication factor when Strom creates the topic; default: the app's `topicReplicationFactor`. */
  replicationFactor?: number;
  /** Topic configs when Strom creates the topic, e.g. `{ 'cleanup.policy': 'compact' }`. */
  config?: Record<string, string>;
  /** Where records that fail to decode go; default `<appId>-<topic>-dlq`. */
  deadLetterTopic?: string;
  /** Skip schema validation (trusted internal topics); the schema still types the values. */
  validate?: boolean;
}

/** Send options for `topic.send(value, options)` and `agent.send`. */
export interface SendOptions<K> {
  key?: K | null;
  partition?: number;
  headers?: Headers;
  /** Milliseconds since the epoch; default: now (set by the broker client). */
  timestamp?: number;
  /**
   * The input record this one comes from, whose dead-letter topic gets it if the broker refuses
   * it. Default: the event being processed, when the app has tables (they track it); sinks set it.
   */
  origin?: RecordOrigin;
}

export type Decoded<V, K> = { ok: true; key: K; value: V } | { ok: false; reason: string };

/** What a topic needs from its app: where to send, and defaults. Narrow on purpose. */
export interface TopicHost {
  readonly appId: string;
  sender(): RecordSender;
  readonly defaults: {
    keyCodec: CodecSpec;
    valueCodec: CodecSpec;
    partitions: number;
    replicationFactor: number;
  };
}

type Validator = (input: unknown) => { success: true; data: unknown } | { success: false; error: z.ZodError };

function compileValidator(schema: ZodType | undefined, validate: boolean): Validator | undefined {
  if (!schema || !validate) return undefined;
  try {
    const compiled = z.compile(schema);
    return (input) => compiled.safeParse(input);
  } catch {
    return (input) => schema.safeParse(input);
  }
}

function schemaReason(part: 'key' | 'value', error: z.ZodError): string {
  const issues = error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
  return `${part} failed its schema: ${issues.join('; ')}`;
}

/**
 * A Kafka topic with codecs and schemas. Created by `app.topic(...)`; agents subscribe to it
 * and code anywhere can `send` to it.
 *
 * @example
 * const rides = app.topic('rides', { value: z.object({ vendorId: z.number() }) })
 * await rides.send({ vendorId: 1 }, { key: { vendorId: 1 } })
 */
export class Topic<V = unknown, K = unknown> {
  readonly name: string;
  readonly keyCodec: Codec;
  readonly valueCodec: Codec;
  readonly partitions: number | undefined;
  readonly replicationFactor: number;
  readonly config: Record<string, string>;
  readonly deadLetterTopic: string;
  /** True for topics Strom derives itself (repartition, changelog). */
  readonly internal: boolean;
  /** The key's zod schema, if the topic has one (tools read it, e.g. `strom send --csv`). */
  readonly keySchema: ZodType<K> | undefined;
  /** The value's zod schema, if the topic has one. */
  readonly valueSchema: ZodType<V> | undefined;
  private readonly keyValidator: Validator | undefined;
  private readonly valueValidator: Validator | undefined;
  /** True when a codec must do async set-up (register a schema) before the first encode. */
  private readonly needsPrepare: boolean;
  private prepared: Promise<void> | undefined;

  constructor(
    private readonly host: TopicHost,
    name: string,
    options: TopicOptions<V, K> & { internal?: boolean } = {},
  ) {
    this.name = name;
    this.keyCodec = topicCodec(options.keyCodec ?? host.defaults.keyCodec, {
      topic: name,
      part: 'key',
      schema: options.key,
    });
    this.valueCodec = topicCodec(options.valueCodec ?? host.defaults.valueCodec, {
      topic: name,
      part: 'value',
      schema: options.value,
    });
    this.needsPrepare = this.keyCodec.prepare !== undefined || this.valueCodec.prepare !== undefined;
    this.partitions = options.partitions;
    this.replicationFactor = options.replicationFactor ?? host.defaults.replicationFactor;
    this.config = options.config ?? {};
    this.internal = options.internal ?? false;
    this.deadLetterTopic = options.deadLetterTopic ?? deadLetterTopicName(host.appId, name, this.internal);
    this.keySchema = options.key;
    this.valueSchema = options.value;
    const validate = options.validate ?? true;
    this.keyValidator = compileValidator(options.key, validate);
    this.valueValidator = compileValidator(options.value, validate);
  }

  /**
   * Lets the codecs do their async set-up (register schemas); once, shared by every caller.
   * The worker calls it at start, `send` before the first record; a failure is retried next call.
   */
  prepare(): Promise<void> {
    if (!this.needsPrepare) return Promise.resolve();
    if (!this.prepared) {
      this.prepared = Promise.all([this.keyCodec.prepare?.(), this.valueCodec.prepare?.()]).then(
        () => undefined,
      );
      this.prepared.catch(() => {
        this.prepared = undefined;
      });
    }
    return this.prepared;
  }

  /** Lets the codecs fetch what decoding these records needs (writer schemas); never rejects. */
  async preload(messages: readonly InboundMessage[]): Promise<void> {
    if (this.keyCodec.preload) await this.keyCodec.preload(messages.map((m) => m.key));
    if (this.valueCodec.preload) await this.valueCodec.preload(messages.map((m) => m.value));
  }

  /** Decodes and validates one record; never throws. */
  decode(message: InboundMessage): Decoded<V, K> {
    let key: unknown = null;
    let value: unknown = null;
    if (message.key !== null) {
      try {
        key = this.keyCodec.decode(message.key);
      } catch (error) {
        return {
          ok: false,
          reason: `key could not be decoded as ${this.keyCodec.name}: ${describeError(error)}`,
        };
      }
    }
    if (this.keyValidator) {
      const result = this.keyValidator(key);
      if (!result.success) return { ok: false, reason: schemaReason('key', result.error) };
      key = result.data;
    }
    if (message.value !== null) {
      try {
        value = this.valueCodec.decode(message.value);
      } catch (error) {
        return {
          ok: false,
          reason: `value could not be decoded as ${this.valueCodec.name}: ${describeError(error)}`,
        };
      }
    }
    if (this.valueValidator) {
      const result = this.valueValidator(value);
      if (!result.success) return { ok: false, reason: schemaReason('value', result.error) };
      value = result.data;
    }
    return { ok: true, key: key as K, value: value as V };
  }

  encodeKey(key: K | null | undefined): Buffer | null {
    return key === null || key === undefined ? null : this.keyCodec.encode(key);
  }

  encodeValue(value: V | null): Buffer | null {
    return value === null ? null : this.valueCodec.encode(value);
  }

  /**
   * Queues `value` for this topic. Resolves once queued (or, under backpressure, once the
   * queue drained); in a worker, the offsets of the event being processed are committed only
   * after this record is acknowledged.
   */
  async send(value: V, options: SendOptions<K> = {}): Promise<void> {
    if (this.needsPrepare) await this.prepare();
    await this.host.sender().send({
      topic: this.name,
      key: this.encodeKey(options.key),
      value: this.encodeValue(value),
      partition: options.partition,
      headers: options.headers,
      timestamp: options.timestamp === undefined ? undefined : String(options.timestamp),
      origin: options.origin ?? currentEvent(),
    });
  }

  toString(): string {
    return this.name;
  }
}

/** `<appId>-<topic>-dlq`; an internal topic already starts with the app id, so it gets `<topic>-dlq`. */
export function deadLetterTopicName(appId: string, topic: string, internal = false): string {
  return internal ? `${topic}-dlq` : `${appId}-${topic}-dlq`;
}
