/**
 * The registry the tests run on (`pnpm registry`: Apicurio's ccompat API, or SCHEMA_REGISTRY_URL)
 * answers as Strom's client expects, in the parts where Confluent's and Apicurio's agree
 * (docs/avro.md lists where they do not).
 */
import { SchemaRegistryClient, SchemaRegistryError } from '@strom/core';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../support/kafka.js';
import { registryUrl } from '../support/registry.js';

const record = (fields: object[]) => JSON.stringify({ type: 'record', name: 'Ride', fields });
const V1 = record([{ name: 'total_amount', type: 'double' }]);
const V2 = record([
  { name: 'total_amount', type: 'double' },
  { name: 'tip', type: ['null', 'double'], default: null },
]);

async function failure(call: Promise<unknown>): Promise<SchemaRegistryError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof SchemaRegistryError))
    throw new Error(`expected a registry error, got ${String(error)}`);
  return error;
}

async function post(path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${registryUrl()}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

describe('the schema registry (Confluent REST API)', () => {
  const registry = new SchemaRegistryClient({ url: registryUrl() });

  it('registers versions, gives identical schemas one id across subjects, and looks them up', async () => {
    const subject = uniqueName('reg-rides-value');
    const other = uniqueName('reg-other-value');
    const id1 = await registry.register(subject, V1);
    // a fresh client (no cache), given the URL with a trailing slash: the path before it is kept
    expect(await new SchemaRegistryClient({ url: `${registryUrl()}/` }).register(subject, V1)).toBe(id1);
    expect(await registry.register(other, V1)).toBe(id1);
    const id2 = await registry.register(subject, V2);
    expect(id2).not.toBe(id1);
    expect(await registry.versions(subject)).toEqual([1, 2]);
    expect(await registry.version(subject, 'latest')).toMatchObject({ subject, version: 2, id: id2 });
    expect(await registry.lookup(subject, V1)).toMatchObject({ version: 1, id: id1 });
    expect(JSON.parse(await registry.schemaById(id2))).toEqual(JSON.parse(V2));
    expect(await registry.subjects()).toEqual(expect.arrayContaining([subject, other]));
  });

  it("answers with Confluent's error codes", async () => {
    const subject = uniqueName('reg-errors-value');
    expect(await failure(registry.versions(subject))).toMatchObject({ status: 404, errorCode: 40401 });
    expect(await failure(registry.schemaById(2_000_000_000))).toMatchObject({
      status: 404,
      errorCode: 40403,
    });
    await registry.register(subject, V1);
    await registry.setCompatibility('BACKWARD', subject);
    expect(await failure(registry.lookup(subject, V2))).toMatchObject({ status: 404, errorCode: 40403 });
    expect(await failure(registry.register(subject, '{"type": "record"'))).toMatchObject({
      status: 422,
      errorCode: 42201,
    });
    const incompatible = await failure(
      registry.register(subject, record([{ name: 'total_amount', type: 'string' }])),
    );
    expect(incompatible).toMatchObject({ status: 409, errorCode: 409 });
  });

  it('says the URL serves no registry API when it misses the API path, rather than "not found"', async () => {
    const url = `${new URL(registryUrl()).origin}/no-registry-here`;
    const error = await failure(new SchemaRegistryClient({ url }).versions('rides-value'));
    expect(error.status).toBe(404);
    expect(error.message).toBe(
      `no schema registry API at ${url} (HTTP 404 on GET /subjects/rides-value/versions): check the URL; Apicurio Registry serves it under /apis/ccompat/v7`,
    );
  });

  it('keeps compatibility per subject over the default, enforces it, and checks candidates without registering them', async () => {
    const subject = uniqueName('reg-compat-value');
    await registry.register(subject, V2);
    // no level of its own: the registry's default (Apicurio answers NONE without defaultToGlobal)
    expect(await registry.compatibility(subject)).toBe(await registry.compatibility());
    await registry.setCompatibility('FORWARD', subject);
    expect(await registry.compatibility(subject)).toBe('FORWARD');
    const breaking = record([
      { name: 'total_amount', type: 'double' },
      { name: 'tip', type: 'string' },
    ]);
    // dropping tip is FORWARD-compatible (readers of V2 read it as its default); retyping it is not
    expect(await post(`/compatibility/subjects/${subject}/versions/latest`, { schema: V1 })).toEqual({
      status: 200,
      json: { is_compatible: true },
    });
    expect(await post(`/compatibility/subjects/${subject}/versions/latest`, { schema: breaking })).toEqual({
      status: 200,
      json: { is_compatible: false },
    });
    expect(await failure(registry.register(subject, breaking))).toMatchObject({ status: 409 });
    expect(await registry.versions(subject)).toEqual([1]);
  });
});
