/**
 * The local registry's state: subjects, their versions, global schema ids and compatibility
 * levels, kept in memory and written to one JSON file after every change (so a restart keeps
 * the ids that records on the broker already carry).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import avro from 'avsc';
import {
  type CompatibilityLevel,
  compatibilityProblems,
} from '../../packages/core/src/codecs/avro-compatibility.js';

export interface SubjectVersion {
  subject: string;
  version: number;
  id: number;
  schema: string;
}

interface State {
  nextId: number;
  schemas: Record<string, string>;
  subjects: Record<string, { id: number; version: number }[]>;
  globalCompatibility: CompatibilityLevel;
  compatibility: Record<string, CompatibilityLevel>;
}

/** A registry error as the Confluent API returns it: HTTP status + `error_code` + message. */
export class RegistryHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The registry compares schemas by their parsed JSON, so whitespace never makes a new id. */
function normalize(schema: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(schema);
  } catch (error) {
    throw new RegistryHttpError(422, 42201, `Invalid schema: ${(error as Error).message}`);
  }
  try {
    avro.Type.forSchema(parsed as avro.Schema, { wrapUnions: false });
  } catch (error) {
    throw new RegistryHttpError(422, 42201, `Invalid schema: ${(error as Error).message}`);
  }
  return JSON.stringify(parsed);
}

export class RegistryStore {
  private state: State;

  constructor(private readonly file: string) {
    this.state = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as State)
      : { nextId: 1, schemas: {}, subjects: {}, globalCompatibility: 'BACKWARD', compatibility: {} };
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state));
    renameSync(tmp, this.file);
  }

  subjects(): string[] {
    return Object.keys(this.state.subjects).sort();
  }

  versions(subject: string): number[] {
    return this.versionsOf(subject).map((v) => v.version);
  }

  private versionsOf(subject: string): { id: number; version: number }[] {
    const versions = this.state.subjects[subject];
    if (!versions || versions.length === 0)
      throw new RegistryHttpError(404, 40401, `Subject '${subject}' not found.`);
    return versions;
  }

  schemaById(id: number): string {
    const schema = this.state.schemas[String(id)];
    if (schema === undefined) throw new RegistryHttpError(404, 40403, 'Schema not found');
    return schema;
  }

  version(subject: string, which: string): SubjectVersion {
    const versions = this.versionsOf(subject);
    const found = which === 'latest' ? versions.at(-1) : versions.find((v) => String(v.version) === which);
    if (!found) throw new RegistryHttpError(404, 40402, `Version ${which} not found.`);
    return { subject, version: found.version, id: found.id, schema: this.schemaById(found.id) };
  }

  /** The subject's version holding this schema (POST /subjects/{subject}). */
  lookup(subject: string, schema: string): SubjectVersion {
    const normalized = normalize(schema);
    const found = this.versionsOf(subject).find((v) => this.state.schemas[String(v.id)] === normalized);
    if (!found) throw new RegistryHttpError(404, 40403, 'Schema not found');
    return { subject, version: found.version, id: found.id, schema: normalized };
  }

  compatibilityOf(subject: string | undefined): CompatibilityLevel {
    return (subject && this.state.compatibility[subject]) || this.state.globalCompatibility;
  }

  subjectCompatibility(subject: string): CompatibilityLevel | undefined {
    return this.state.compatibility[subject];
  }

  setCompatibility(subject: string | undefined, level: CompatibilityLevel): void {
    if (subject === undefined) this.state.globalCompatibility = level;
    else this.state.compatibility[subject] = level;
    this.save();
  }

  /** Problems of adding `schema` to `subject` under its compatibility level; empty when none. */
  problems(subject: string, schema: string): string[] {
    const existing = (this.state.subjects[subject] ?? []).map((v) => ({
      version: v.version,
      schema: this.schemaById(v.id),
    }));
    return compatibilityProblems(normalize(schema), existing, this.compatibilityOf(subject));
  }

  /** Registers `schema` under `subject` (or returns the id it already has there). */
  register(subject: string, schema: string): number {
    const normalized = normalize(schema);
    const versions = this.state.subjects[subject] ?? [];
    const same = versions.find((v) => this.state.schemas[String(v.id)] === normalized);
    if (same) return same.id;
    const problems = this.problems(subject, normalized);
    if (problems.length > 0) {
      throw new RegistryHttpError(
        409,
        409,
        `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: ${problems.join('; ')}`,
      );
    }
    let id = Number(Object.entries(this.state.schemas).find(([, s]) => s === normalized)?.[0]);
    if (!Number.isInteger(id)) {
      id = this.state.nextId++;
      this.state.schemas[String(id)] = normalized;
    }
    versions.push({ id, version: (versions.at(-1)?.version ?? 0) + 1 });
    this.state.subjects[subject] = versions;
    this.save();
    return id;
  }

  deleteSubject(subject: string): number[] {
    const versions = this.versions(subject);
    delete this.state.subjects[subject];
    delete this.state.compatibility[subject];
    this.save();
    return versions;
  }
}
