import { Ajv, type AnySchema, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { type SchemaSource, type SourceLocation } from './workflow.model.js';

// ajv-formats is CommonJS with `exports.default`; under Node ESM the default import is the
// module object, under ts-jest it may already be the function.
type AddFormats = (ajv: Ajv | Ajv2019 | Ajv2020) => unknown;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ??
  (addFormatsModule as unknown as AddFormats);

type Draft = 'draft-07' | '2019-09' | '2020-12';

const DRAFTS: ReadonlyArray<[RegExp, Draft]> = [
  [/^https?:\/\/json-schema\.org\/draft-07\/schema#?$/, 'draft-07'],
  [/^https?:\/\/json-schema\.org\/draft\/2019-09\/schema#?$/, '2019-09'],
  [/^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/, '2020-12'],
];

export type ProblemSink = (location: SourceLocation, message: string, fix?: string) => void;

/** Where the value at `path` inside schema `name` was written, when known. */
export type SchemaLocator = (name: string, path: readonly (string | number)[]) => SourceLocation | undefined;

/** `/properties/a~1b/0` → `['properties', 'a/b', 0]`. */
function pointerPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** The path of the first key named `key` in a schema (depth first), for errors without one. */
function pathOfKey(
  value: unknown,
  key: string,
  path: (string | number)[] = [],
  depth = 0,
): (string | number)[] | undefined {
  if (typeof value !== 'object' || value === null || depth > 64) return undefined;
  const entries: Array<[string | number, unknown]> = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  for (const [k] of entries) if (k === key) return [...path, k];
  for (const [k, v] of entries) {
    const found = pathOfKey(v, key, [...path, k], depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Meta-schema errors, one per place in the schema (the first, most specific, message of each),
 * located at the property that is wrong rather than at the schema's first line.
 */
function reportInvalid(
  source: SchemaSource,
  draft: Draft,
  errors: readonly ErrorObject[],
  report: ProblemSink,
  locate: SchemaLocator,
): void {
  const seen = new Set<string>();
  for (const error of errors) {
    if (seen.has(error.instancePath)) continue;
    seen.add(error.instancePath);
    if (seen.size > 5) break;
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'enum') {
      message += `: ${((error.params as { allowedValues?: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    }
    report(
      locate(source.name, pointerPath(error.instancePath)) ?? source.location,
      `schema '${source.name}' is invalid (${draft}): ${error.instancePath || '(root)'} ${message}`,
      'fix the schema',
    );
  }
}

/** A compile error naming a keyword (`strict mode: unknown keyword: "minProperty"`) points at it. */
function locateMessage(source: SchemaSource, message: string, locate: SchemaLocator): SourceLocation {
  const keyword = /unknown keyword: "([^"]+)"/.exec(message)?.[1];
  const path = keyword === undefined ? undefined : pathOfKey(source.schema, keyword);
  return (path && locate(source.name, path)) ?? source.location;
}

/** The draft a schema asks for by `$schema` (draft-07 when absent); null when unsupported. */
export function draftOf(schema: unknown): Draft | null {
  const declared =
    typeof schema === 'object' && schema !== null ? (schema as { $schema?: unknown }).$schema : undefined;
  if (declared === undefined) return 'draft-07';
  if (typeof declared !== 'string') return null;
  return DRAFTS.find(([re]) => re.test(declared))?.[1] ?? null;
}

function newAjv(draft: Draft): Ajv | Ajv2019 | Ajv2020 {
  // allErrors: an agent should see every problem of its artifact at once.
  // logger false: strict-mode notes become compile errors or nothing, never console noise.
  const options = { allErrors: true, logger: false as const };
  const ajv =
    draft === '2020-12'
      ? new Ajv2020(options)
      : draft === '2019-09'
        ? new Ajv2019(options)
        : new Ajv(options);
  addFormats(ajv);
  return ajv;
}

/**
 * Compiles every schema of a workflow once, at load. One Ajv per draft, so schemas of the
 * same draft can `$ref` each other by `$id`. Schemas that do not compile are reported.
 */
export function compileSchemas(
  schemas: Readonly<Record<string, SchemaSource>>,
  report: ProblemSink,
  locate: SchemaLocator = () => undefined,
): Map<string, ValidateFunction> {
  const instances = new Map<Draft, Ajv | Ajv2019 | Ajv2020>();
  const added: Array<[SchemaSource, Ajv | Ajv2019 | Ajv2020]> = [];
  for (const source of Object.values(schemas)) {
    const draft = draftOf(source.schema);
    if (!draft) {
      report(
        source.location,
        `schema '${source.name}' declares an unsupported $schema ${JSON.stringify((source.schema as { $schema?: unknown }).$schema)}`,
        `use "http://json-schema.org/draft-07/schema#" or "https://json-schema.org/draft/2020-12/schema"`,
      );
      continue;
    }
    if (typeof source.schema !== 'object' || source.schema === null || Array.isArray(source.schema)) {
      report(source.location, `schema '${source.name}' must be an object`, 'write a JSON Schema object');
      continue;
    }
    let ajv = instances.get(draft);
    if (!ajv) instances.set(draft, (ajv = newAjv(draft)));
    if (!(ajv.validateSchema(source.schema as AnySchema) as boolean)) {
      reportInvalid(source, draft, ajv.errors ?? [], report, locate);
      continue;
    }
    try {
      ajv.addSchema(source.schema as AnySchema, source.name);
      added.push([source, ajv]);
    } catch (err) {
      const message = (err as Error).message;
      report(
        locateMessage(source, message, locate),
        `schema '${source.name}' is invalid (${draft}): ${message}`,
        'fix the schema',
      );
    }
  }
  const validators = new Map<string, ValidateFunction>();
  for (const [source, ajv] of added) {
    try {
      const validate = ajv.getSchema(source.name);
      if (validate) validators.set(source.name, validate);
    } catch (err) {
      const message = (err as Error).message;
      report(
        locateMessage(source, message, locate),
        `schema '${source.name}' does not compile: ${message}`,
        'fix the schema',
      );
    }
  }
  return validators;
}

/** `plan_document/acceptance_criteria: must NOT have fewer than 1 items` */
export function describeSchemaError(
  artifact: string,
  error: ErrorObject,
): { pointer: string; message: string } {
  let pointer = error.instancePath;
  const where = `${artifact}${pointer}`;
  let message = error.message ?? 'is invalid';
  if (error.keyword === 'required') {
    // The message names the property; the pointer leads to where it should be.
    const missing = String((error.params as { missingProperty?: unknown }).missingProperty);
    pointer = `${pointer}/${missing.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  } else if (error.keyword === 'additionalProperties') {
    message += ` ('${String((error.params as { additionalProperty?: unknown }).additionalProperty)}')`;
  } else if (error.keyword === 'enum') {
    message += `: ${((error.params as { allowedValues?: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return { pointer, message: `${where}: ${message}` };
}
