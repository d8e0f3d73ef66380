import { StromError } from '../errors/errors.js';
import { type CompatibilityLevel, isCompatibilityLevel } from './avro-compatibility.js';

/** A schema registry answered with an error (or did not answer); `status` 0 when unreachable. */
export class SchemaRegistryError extends StromError {
  readonly status: number;
  /** The registry's `error_code` (e.g. 40403 schema not found, 409 incompatible). */
  readonly errorCode: number | undefined;

  constructor(message: string, options: { status: number; errorCode?: number; cause?: unknown }) {
    super('SCHEMA', message, { cause: options.cause });
    this.name = 'SchemaRegistryError';
    this.status = options.status;
    this.errorCode = options.errorCode;
  }
}

/** One version of a subject. */
export interface SubjectVersion {
  subject: string;
  version: number;
  id: number;
  schema: string;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/**
 * Where `pnpm registry start` serves the Confluent API (Apicurio Registry's `ccompat` API); the
 * default of codecs and `strom schemas` when neither an option nor `SCHEMA_REGISTRY_URL` is set.
 */
export const DEFAULT_SCHEMA_REGISTRY_URL = 'http://localhost:8081/apis/ccompat/v7';

/** True for the registry's own "not found" answers (40401 subject, 40402 version, 40403 schema). */
export function isRegistryNotFound(error: unknown): error is SchemaRegistryError {
  return (
    error instanceof SchemaRegistryError &&
    error.status === 404 &&
    error.errorCode !== undefined &&
    Math.floor(error.errorCode / 100) === 404
  );
}

/**
 * A client of the Confluent schema registry REST API (Confluent, Apicurio's ccompat API as
 * `pnpm registry` runs it, Karapace). The URL is the API's base, path included
 * (`http://localhost:8081/apis/ccompat/v7` for Apicurio, `http://localhost:8081` for Confluent).
 * Schemas by id never change, so they are cached for good; so are the ids of schemas this
 * process registered.
 *
 * @example
 * const registry = new SchemaRegistryClient({ url: 'http://localhost:8081/apis/ccompat/v7' })
 * const id = await registry.register('rides-value', JSON.stringify(schema))
 */
export class SchemaRegistryClient {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly byId = new Map<number, Promise<string>>();
  private readonly registered = new Map<string, Promise<number>>();

  constructor(options: { url: string; timeoutMs?: number }) {
    this.url = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers:
          body === undefined
            ? { accept: CONTENT_TYPE }
            : { accept: CONTENT_TYPE, 'content-type': CONTENT_TYPE },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      const reason =
        cause instanceof Error && cause.cause instanceof Error ? cause.cause.message : String(cause);
      throw new SchemaRegistryError(
        `schema registry at ${this.url} did not answer (${reason}): start one (pnpm registry start) or set SCHEMA_REGISTRY_URL`,
        {
          status: 0,
          cause,
        },
      );
    }
    const text = await res.text();
    let payload: unknown;
    try {
      payload = text ? JSON.parse(text) : undefined;
    } catch {
      payload = text;
    }
    if (!res.ok) {
      const error = payload as { error_code?: unknown; message?: unknown } | undefined;
      const errorCode = typeof error?.error_code === 'number' ? error.error_code : undefined;
      let message = typeof error?.message === 'string' ? error.message : `HTTP ${res.status}`;
      // a 404 without a registry code (404xx) is a URL that serves no registry API: Apicurio
      // answers so at its root, where users often point before adding /apis/ccompat/v7
      if (res.status === 404 && (errorCode === undefined || Math.floor(errorCode / 100) !== 404))
        message = `no schema registry API at ${this.url} (HTTP 404 on ${method} ${path}): check the URL; Apicurio Registry serves it under /apis/ccompat/v7`;
      throw new SchemaRegistryError(message, { status: res.status, errorCode });
    }
    return payload as T;
  }

  private subjectPath(subject: string): string {
    return `/subjects/${encodeURIComponent(subject)}`;
  }

  /** Registers `schema` (Avro JSON) under `subject`, or finds the id it has; the registry checks compatibility. */
  register(subject: string, schema: string): Promise<number> {
    const key = `${subject}\0${schema}`;
    let id = this.registered.get(key);
    if (!id) {
      id = this.request<{ id: number }>('POST', `${this.subjectPath(subject)}/versions`, { schema }).then(
        (r) => r.id,
      );
      id.then(
        (found) => this.byId.set(found, Promise.resolve(schema)),
        () => this.registered.delete(key),
      );
      this.registered.set(key, id);
    }
    return id;
  }

  /** The version of `subject` that holds `schema`, if registered. */
  lookup(subject: string, schema: string): Promise<SubjectVersion> {
    return this.request('POST', this.subjectPath(subject), { schema });
  }

  /** The schema with this id (cached; failures are not). */
  schemaById(id: number): Promise<string> {
    let schema = this.byId.get(id);
    if (!schema) {
      schema = this.request<{ schema: string }>('GET', `/schemas/ids/${id}`).then((r) => r.schema);
      schema.catch(() => this.byId.delete(id));
      this.byId.set(id, schema);
    }
    return schema;
  }

  subjects(): Promise<string[]> {
    return this.request('GET', '/subjects');
  }

  versions(subject: string): Promise<number[]> {
    return this.request('GET', `${this.subjectPath(subject)}/versions`);
  }

  version(subject: string, version: number | 'latest'): Promise<SubjectVersion> {
    return this.request('GET', `${this.subjectPath(subject)}/versions/${version}`);
  }

  /** The subject's own level, or the global one when the subject has none (or no subject is given). */
  async compatibility(subject?: string): Promise<CompatibilityLevel> {
    const path =
      subject === undefined ? '/config' : `/config/${encodeURIComponent(subject)}?defaultToGlobal=true`;
    let answer: { compatibilityLevel?: unknown };
    try {
      answer = await this.request<{ compatibilityLevel?: unknown }>('GET', path);
    } catch (error) {
      // registries without defaultToGlobal answer 40408 for a subject with no level of its own,
      // and Apicurio answers 40401 for a subject it does not know yet
      if (subject !== undefined && isRegistryNotFound(error)) return this.compatibility();
      throw error;
    }
    const level = answer.compatibilityLevel;
    if (!isCompatibilityLevel(level))
      throw new SchemaRegistryError(`unknown compatibility level ${String(level)}`, { status: 200 });
    return level;
  }

  /** Sets the subject's level (or the global one without a subject). */
  async setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void> {
    const path = subject === undefined ? '/config' : `/config/${encodeURIComponent(subject)}`;
    await this.request('PUT', path, { compatibility: level });
  }
}

const clients = new Map<string, SchemaRegistryClient>();

/** One client per URL in a process, so topics share the schema caches. */
export function schemaRegistryClient(url: string): SchemaRegistryClient {
  let client = clients.get(url);
  if (!client) {
    client = new SchemaRegistryClient({ url });
    clients.set(url, client);
  }
  return client;
}
