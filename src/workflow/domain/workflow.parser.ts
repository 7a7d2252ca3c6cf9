import { LineCounter, parseDocument } from 'yaml';
import { ParseContext, type YamlPath } from './parse-context.js';
import { readPhase } from './phase.parser.js';
import {
  ENFORCEMENT_MODES,
  type EnforcementSpec,
  type PhaseSpec,
  type SchemaSource,
  type TransitionSpec,
  type WorkflowDefinition,
} from './workflow.model.js';
import {
  checkKeys,
  isObject,
  readBoolean,
  readEnum,
  readPositiveNumber,
  readString,
  type YamlObject,
} from './yaml-readers.js';

const TOP_KEYS = [
  'name',
  'version',
  'description',
  'phases',
  'transitions',
  'enforcement',
  'schemas',
  'schemas_dir',
];
const TRANSITION_KEYS = ['from', 'to', 'gate', 'requires_token', 'description'];
const ENFORCEMENT_KEYS = ['mode', 'phase_tokens'];
const TOKEN_KEYS = ['enabled', 'algorithm', 'secret_env_var', 'expiry_seconds'];
const SCHEMA_FILE = /\.(json|ya?ml)$/i;

/** File access the parser needs for `schemas_dir` and schema paths, relative to the workflow file. */
export interface WorkflowFiles {
  read(relativePath: string): { path: string; text: string } | { path: string; error: string };
  list(relativeDir: string): { path: string; entries: readonly string[] } | { path: string; error: string };
}

export const NO_FILES: WorkflowFiles = {
  read: (p) => ({ path: p, error: 'no file access' }),
  list: (p) => ({ path: p, error: 'no file access' }),
};

/** Parses YAML text into a definition; every problem lands in the returned context. */
export function parseWorkflow(
  text: string,
  file: string,
  files: WorkflowFiles = NO_FILES,
): { definition: WorkflowDefinition | undefined; ctx: ParseContext } {
  const parsed = parseYaml(text, file);
  const ctx = parsed.ctx;
  if (parsed.value === undefined) return { definition: undefined, ctx };
  const root = parsed.value;
  if (!isObject(root)) {
    ctx.problem([], 'a workflow file must be a mapping with name, phases and transitions');
    return { definition: undefined, ctx };
  }
  checkKeys(ctx, root, [], TOP_KEYS);
  const name = readString(ctx, root, 'name', [], true);
  const version = readVersion(ctx, root);
  const description = readString(ctx, root, 'description', []);

  const schemas = new Map<string, SchemaSource>();
  const addSchema = (source: SchemaSource) => {
    const existing = schemas.get(source.name);
    if (existing) {
      ctx.problemAt(
        source.location,
        `schema '${source.name}' is defined twice (also at ${existing.location.file}:${existing.location.line})`,
        'rename or remove one of them',
      );
    } else {
      schemas.set(source.name, source);
    }
  };
  readInlineSchemas(ctx, root['schemas'], addSchema);
  const schemasDir = readString(ctx, root, 'schemas_dir', []);
  if (schemasDir !== undefined) readSchemasDir(ctx, files, schemasDir, addSchema);

  const phases: PhaseSpec[] = [];
  if (!Array.isArray(root['phases']) || root['phases'].length === 0) {
    ctx.problem(
      root['phases'] === undefined ? [] : ['phases'],
      'a workflow needs a non-empty phases list',
      "add 'phases:' with at least one '- id: …'",
    );
  } else {
    root['phases'].forEach((raw, i) => {
      const parsedPhase = readPhase(ctx, raw, ['phases', i]);
      if (!parsedPhase) return;
      phases.push(parsedPhase.phase);
      parsedPhase.inlineSchemas.forEach(addSchema);
    });
  }
  const resolvedPhases = resolveSchemaFiles(ctx, files, phases, schemas);

  const definition: WorkflowDefinition = {
    name: name ?? '?',
    version,
    ...(description === undefined ? {} : { description }),
    phases: resolvedPhases,
    transitions: readTransitions(ctx, root['transitions']),
    enforcement: readEnforcement(ctx, root['enforcement']),
    schemas: Object.fromEntries(schemas),
    ...(schemasDir === undefined ? {} : { schemas_dir: schemasDir }),
    unenforced: ctx.unenforced,
    warnings: ctx.warnings,
    file,
  };
  return { definition, ctx };
}

/** YAML text to a plain value, with syntax errors as problems at their position. */
export function parseYaml(text: string, file: string): { value: unknown; ctx: ParseContext } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, merge: true, prettyErrors: false });
  const ctx = new ParseContext(file, doc, lines);
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const { line, col } = lines.linePos(error.pos[0]);
      ctx.problemAt(
        { file, line, col },
        `invalid YAML: ${error.message.split('\n')[0]}`,
        'fix the YAML syntax (indentation, quotes, brackets)',
      );
    }
    return { value: undefined, ctx };
  }
  return { value: doc.toJS({ maxAliasCount: 100 }) as unknown, ctx };
}

/** `version: 1.0` is kept as written, not as the number 1. */
function readVersion(ctx: ParseContext, root: YamlObject): string {
  const value = root['version'];
  if (value === undefined || value === null) return '1.0';
  if (typeof value === 'string' || typeof value === 'number')
    return ctx.sourceText(['version']) ?? String(value);
  ctx.problem(['version'], '\'version\' must be a string such as "1.0"');
  return '1.0';
}

function readInlineSchemas(ctx: ParseContext, raw: unknown, add: (s: SchemaSource) => void): void {
  if (raw === undefined || raw === null) return;
  if (!isObject(raw)) {
    ctx.problem(['schemas'], "'schemas' must map schema names to JSON Schemas");
    return;
  }
  for (const [name, schema] of Object.entries(raw)) {
    ctx.schemaLocators.set(name, (path) => ctx.at(['schemas', name, ...path]));
    add({ name, schema, location: ctx.keyAt(['schemas', name]) });
  }
}

function readSchemasDir(
  ctx: ParseContext,
  files: WorkflowFiles,
  dir: string,
  add: (s: SchemaSource) => void,
): void {
  const listing = files.list(dir);
  if ('error' in listing) {
    // Missing: the earlier orchestrator's files name one that may not exist; nothing to read.
    const report = listing.error === 'ENOENT' ? ctx.warn.bind(ctx) : ctx.problem.bind(ctx);
    report(
      ['schemas_dir'],
      listing.error === 'ENOENT'
        ? `schemas_dir '${dir}' does not exist; no schemas are read from it`
        : `cannot read schemas_dir '${dir}': ${listing.error}`,
      'give a directory relative to the workflow file, or remove schemas_dir',
    );
    return;
  }
  for (const entry of [...listing.entries].filter((e) => SCHEMA_FILE.test(e)).sort()) {
    const name = entry.replace(SCHEMA_FILE, '');
    const loaded = loadSchemaFile(ctx, files, `${dir.replace(/\/+$/, '')}/${entry}`, ['schemas_dir'], name);
    if (loaded) add(loaded);
  }
}

/** A JSON or YAML schema file; its syntax problems are reported at their own position. */
function loadSchemaFile(
  ctx: ParseContext,
  files: WorkflowFiles,
  relative: string,
  refPath: YamlPath,
  name: string,
): SchemaSource | undefined {
  const read = files.read(relative);
  if ('error' in read) {
    ctx.problem(
      refPath,
      `cannot read schema file '${relative}': ${read.error}`,
      'check the path (relative to the workflow file)',
    );
    return undefined;
  }
  const parsed = parseYaml(read.text, read.path);
  ctx.problems.push(...parsed.ctx.problems);
  if (parsed.value === undefined) return undefined;
  ctx.schemaLocators.set(name, (path) => parsed.ctx.at(path));
  return { name, schema: parsed.value, location: { file: read.path, line: 1, col: 1 } };
}

/**
 * Artifacts may name a schema file directly (`schema: schemas/plan.json`). A file that does not
 * exist is looked up by its base name among the schemas of the workflow itself (`schemas:
 * plan.json`, or `plan` in schemas_dir), as the earlier orchestrator did; the artifact then
 * names that schema. Returns the phases with those references rewritten.
 */
function resolveSchemaFiles(
  ctx: ParseContext,
  files: WorkflowFiles,
  phases: readonly PhaseSpec[],
  schemas: Map<string, SchemaSource>,
): PhaseSpec[] {
  return phases.map((phase) => {
    let changed = false;
    const artifacts = phase.required_artifacts.map((artifact) => {
      const ref = artifact.schema;
      if (ref === undefined || schemas.has(ref) || !SCHEMA_FILE.test(ref)) return artifact;
      const read = files.read(ref);
      if ('error' in read) {
        const own = read.error === 'ENOENT' ? schemaByBaseName(ref, schemas) : undefined;
        if (own !== undefined) {
          changed = true;
          return ctx.remember({ ...artifact, schema: own }, ctx.pathOf(artifact));
        }
        ctx.problemAt(
          artifact.location,
          `artifact '${artifact.type}' names schema file '${ref}' which cannot be read: ${read.error}`,
          'check the path (relative to the workflow file), or define the schema under schemas: by its file name',
        );
        return artifact;
      }
      const parsed = parseYaml(read.text, read.path);
      ctx.problems.push(...parsed.ctx.problems);
      if (parsed.value !== undefined) {
        ctx.schemaLocators.set(ref, (path) => parsed.ctx.at(path));
        schemas.set(ref, { name: ref, schema: parsed.value, location: { file: read.path, line: 1, col: 1 } });
      }
      return artifact;
    });
    return changed ? ctx.remember({ ...phase, required_artifacts: artifacts }, ctx.pathOf(phase)) : phase;
  });
}

/** `schemas/plan.json` → the workflow's own `plan.json` (inline) or `plan` (schemas_dir). */
function schemaByBaseName(ref: string, schemas: ReadonlyMap<string, SchemaSource>): string | undefined {
  const base = ref.split('/').pop() ?? ref;
  return [base, base.replace(SCHEMA_FILE, '')].find((name) => schemas.has(name));
}

function readTransitions(ctx: ParseContext, raw: unknown): TransitionSpec[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    ctx.problem(
      ['transitions'],
      "'transitions' must be a list",
      "write '- { from: PLAN, to: TDD, gate: plan_approved }'",
    );
    return [];
  }
  const out: TransitionSpec[] = [];
  raw.forEach((entry, i) => {
    const path = ['transitions', i];
    if (!isObject(entry)) {
      ctx.problem(path, 'a transition must be a mapping with from and to');
      return;
    }
    checkKeys(ctx, entry, path, TRANSITION_KEYS);
    const from = readString(ctx, entry, 'from', path, true);
    const to = readString(ctx, entry, 'to', path, true);
    const gate = readString(ctx, entry, 'gate', path);
    const description = readString(ctx, entry, 'description', path);
    if (from === undefined || to === undefined) return;
    out.push(
      ctx.remember<TransitionSpec>(
        {
          from,
          to,
          ...(gate === undefined ? {} : { gate }),
          requires_token: readBoolean(ctx, entry, 'requires_token', path, true),
          ...(description === undefined ? {} : { description }),
          location: ctx.at(path),
        },
        path,
      ),
    );
  });
  return out;
}

function readEnforcement(ctx: ParseContext, raw: unknown): EnforcementSpec {
  const fallback: EnforcementSpec = {
    mode: 'strict',
    declared_mode: 'strict',
    phase_tokens: { enabled: true },
  };
  if (raw === undefined || raw === null) return fallback;
  if (!isObject(raw)) {
    ctx.problem(['enforcement'], "'enforcement' must be a mapping", "write 'enforcement: { mode: strict }'");
    return fallback;
  }
  checkKeys(ctx, raw, ['enforcement'], ENFORCEMENT_KEYS);
  const mode = readEnum(ctx, raw, 'mode', ['enforcement'], ENFORCEMENT_MODES, 'strict', {
    advisory: 'audit',
  });
  const declared = raw['mode'] === 'advisory' ? 'advisory' : mode;
  const tokens = raw['phase_tokens'];
  const path = ['enforcement', 'phase_tokens'];
  if (tokens !== undefined && tokens !== null && !isObject(tokens)) {
    ctx.problem(path, "'phase_tokens' must be a mapping");
  }
  const t = isObject(tokens) ? tokens : {};
  if (isObject(tokens)) checkKeys(ctx, t, path, TOKEN_KEYS);
  const algorithm = readString(ctx, t, 'algorithm', path);
  const secretEnv = readString(ctx, t, 'secret_env_var', path);
  const expiry = readPositiveNumber(ctx, t, 'expiry_seconds', path);
  return {
    mode,
    declared_mode: declared,
    phase_tokens: {
      enabled: readBoolean(ctx, t, 'enabled', path, true),
      ...(algorithm === undefined ? {} : { algorithm }),
      ...(secretEnv === undefined ? {} : { secret_env_var: secretEnv }),
      ...(expiry === undefined ? {} : { expiry_seconds: expiry }),
    },
  };
}
