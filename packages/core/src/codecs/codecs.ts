import type { ZodType } from 'zod';
import { ConfigError } from '../errors/errors.js';

/** What a codec is bound to: one part of one topic, and that part's zod schema if it has one. */
export interface CodecBinding {
  topic: string;
  part: 'key' | 'value';
  schema: ZodType | undefined;
}

/**
 * Turns values into bytes and back. `decode` may throw: the worker turns the error into a
 * dead-letter record, so a codec never needs to catch its own failures.
 */
export interface Codec {
  readonly name: string;
  encode(value: unknown): Buffer;
  decode(bytes: Buffer): unknown;
  /** A codec that depends on its topic (a schema registry subject) returns a copy bound to it. */
  bind?(binding: CodecBinding): Codec;
  /** Async set-up before the first encode (register a schema): at worker start, or before the first send. */
  prepare?(): Promise<void>;
  /** Async look-ups that decoding this batch needs (writer schemas by id); never rejects. */
  preload?(batch: readonly (Buffer | null)[]): Promise<void>;
}

export type CodecName = 'json' | 'string' | 'raw';
export type CodecSpec = CodecName | Codec;

export const jsonCodec: Codec = {
  name: 'json',
  encode: (value) => Buffer.from(JSON.stringify(value)),
  decode: (bytes) => JSON.parse(bytes.toString('utf8')),
};

export const stringCodec: Codec = {
  name: 'string',
  encode: (value) => Buffer.from(String(value)),
  decode: (bytes) => bytes.toString('utf8'),
};

export const rawCodec: Codec = {
  name: 'raw',
  encode: (value) => {
    if (Buffer.isBuffer(value)) return value;
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (typeof value === 'string') return Buffer.from(value);
    throw new TypeError(`the raw codec sends Buffer, Uint8Array or string values, got ${typeof value}`);
  },
  decode: (bytes) => bytes,
};

const BUILT_IN: Record<CodecName, Codec> = { json: jsonCodec, string: stringCodec, raw: rawCodec };

/** The codec of a topic part: `spec` resolved, then bound to the topic when it binds. */
export function topicCodec(spec: CodecSpec, binding: CodecBinding): Codec {
  const codec = resolveCodec(spec);
  return codec.bind ? codec.bind(binding) : codec;
}

export function resolveCodec(spec: CodecSpec): Codec {
  if (typeof spec !== 'string') return spec;
  const codec = BUILT_IN[spec];
  if (!codec)
    throw new ConfigError(`unknown codec "${spec}": use one of ${Object.keys(BUILT_IN).join(', ')}`);
  return codec;
}
