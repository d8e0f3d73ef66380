/**
 * A local schema registry speaking the Confluent schema registry REST API (the subset Strom and
 * its users' Avro clients call): subjects and versions, schemas by id, compatibility config and
 * checks. Run by `pnpm registry start`; see docs/decisions/0010-schema-registry.md for why it is
 * not Apicurio or Karapace.
 *
 *   node --import tsx scripts/registry/server.ts <port> <state file>
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isCompatibilityLevel } from '../../packages/core/src/codecs/avro-compatibility.js';
import { RegistryHttpError, RegistryStore } from './store.js';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new RegistryHttpError(400, 400, 'Request body must be a JSON object');
}

function schemaOf(input: Record<string, unknown>): string {
  const type = input.schemaType ?? 'AVRO';
  if (type !== 'AVRO')
    throw new RegistryHttpError(422, 42201, `Unsupported schemaType '${String(type)}': only AVRO`);
  if (typeof input.schema !== 'string') throw new RegistryHttpError(422, 42201, 'Missing "schema" string');
  return input.schema;
}

function levelOf(input: Record<string, unknown>): ReturnType<RegistryStore['compatibilityOf']> {
  if (!isCompatibilityLevel(input.compatibility))
    throw new RegistryHttpError(422, 42203, `Invalid compatibility level: ${String(input.compatibility)}`);
  return input.compatibility;
}

type Handler = (match: string[], req: IncomingMessage, url: URL) => Promise<unknown> | unknown;

function routes(store: RegistryStore): [string, RegExp, Handler][] {
  const subject = (m: string[]) => decodeURIComponent(m[1]!);
  return [
    ['GET', /^\/$/, () => ({})],
    ['GET', /^\/subjects$/, () => store.subjects()],
    ['GET', /^\/schemas\/ids\/(\d+)$/, (m) => ({ schema: store.schemaById(Number(m[1])) })],
    ['GET', /^\/subjects\/([^/]+)\/versions$/, (m) => store.versions(subject(m))],
    ['GET', /^\/subjects\/([^/]+)\/versions\/(latest|\d+)$/, (m) => store.version(subject(m), m[2]!)],
    [
      'POST',
      /^\/subjects\/([^/]+)\/versions$/,
      async (m, req) => ({ id: store.register(subject(m), schemaOf(await body(req))) }),
    ],
    ['POST', /^\/subjects\/([^/]+)$/, async (m, req) => store.lookup(subject(m), schemaOf(await body(req)))],
    ['DELETE', /^\/subjects\/([^/]+)$/, (m) => store.deleteSubject(subject(m))],
    ['GET', /^\/config$/, () => ({ compatibilityLevel: store.compatibilityOf(undefined) })],
    [
      'PUT',
      /^\/config$/,
      async (_m, req) => {
        const level = levelOf(await body(req));
        store.setCompatibility(undefined, level);
        return { compatibility: level };
      },
    ],
    [
      'GET',
      /^\/config\/([^/]+)$/,
      (m, _req, url) => {
        const own = store.subjectCompatibility(subject(m));
        if (own) return { compatibilityLevel: own };
        if (url.searchParams.get('defaultToGlobal') === 'true')
          return { compatibilityLevel: store.compatibilityOf(undefined) };
        throw new RegistryHttpError(
          404,
          40408,
          `Subject '${subject(m)}' does not have subject-level compatibility configured`,
        );
      },
    ],
    [
      'PUT',
      /^\/config\/([^/]+)$/,
      async (m, req) => {
        const level = levelOf(await body(req));
        store.setCompatibility(subject(m), level);
        return { compatibility: level };
      },
    ],
    [
      'POST',
      /^\/compatibility\/subjects\/([^/]+)\/versions\/(latest|\d+)$/,
      async (m, req, url) => {
        const problems = store.problems(subject(m), schemaOf(await body(req)));
        const verbose = url.searchParams.get('verbose') === 'true';
        return verbose
          ? { is_compatible: problems.length === 0, messages: problems }
          : { is_compatible: problems.length === 0 };
      },
    ],
  ];
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': CONTENT_TYPE });
  res.end(JSON.stringify(payload));
}

export function registryServer(store: RegistryStore) {
  const table = routes(store);
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://registry');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const route = table.find(([method, pattern]) => method === req.method && pattern.test(path));
    if (!route) {
      send(res, 404, { error_code: 404, message: `HTTP 404 Not Found: ${req.method} ${path}` });
      return;
    }
    Promise.resolve()
      .then(() => route[2](route[1].exec(path)!, req, url))
      .then(
        (payload) => send(res, 200, payload),
        (error: unknown) => {
          if (error instanceof RegistryHttpError)
            send(res, error.status, { error_code: error.errorCode, message: error.message });
          else send(res, 500, { error_code: 50001, message: (error as Error).message });
        },
      );
  });
}

const isMain = process.argv[1]?.endsWith('server.ts');
if (isMain) {
  const [portArg, stateFile] = process.argv.slice(2);
  const port = Number(portArg);
  if (!Number.isInteger(port) || !stateFile) {
    process.stderr.write('usage: server.ts <port> <state file>\n');
    process.exit(2);
  }
  const server = registryServer(new RegistryStore(stateFile));
  server.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
