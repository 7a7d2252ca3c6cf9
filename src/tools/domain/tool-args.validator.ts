import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { invalidToolArgs } from './tool-errors.js';

/**
 * Compiles per-tool argument schemas once and turns Ajv's errors into one readable line that
 * names the bad field (`files[0].path must be string`, `unknown argument 'pathz'`).
 */
export class ToolArgsValidator {
  // strict: a typo in one of our schemas fails at start-up, not silently at run time. The
  // `oneOf` alternatives name keys declared beside them (strictRequired would refuse that),
  // and `command` is a string or an argv list (a union type).
  private readonly ajv = new Ajv({
    allErrors: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    logger: false,
  });
  private readonly compiled = new Map<string, { validate: ValidateFunction; schema: object }>();

  add(tool: string, schema: Readonly<Record<string, unknown>>): void {
    this.compiled.set(tool, { validate: this.ajv.compile(schema), schema });
  }

  /** The arguments, checked; throws `invalid_tool_args` naming the first bad field. */
  check(tool: string, args: unknown): Record<string, unknown> {
    const entry = this.compiled.get(tool);
    if (!entry) throw new Error(`no schema registered for tool '${tool}'`);
    const value = args === undefined || args === null ? {} : args;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw invalidToolArgs(`arguments of '${tool}' must be an object`, '');
    }
    if (entry.validate(value)) return value as Record<string, unknown>;
    const { message, field } = describe(entry.validate.errors ?? [], entry.schema, value);
    throw invalidToolArgs(`invalid arguments for '${tool}': ${message}`, field);
  }
}

/** `/files/0/path` → `files[0].path`. */
function fieldName(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc === '' ? p : `${acc}.${p}`), '');
}

function describeOne(e: ErrorObject): { message: string; field: string } {
  const at = fieldName(e.instancePath);
  if (e.keyword === 'additionalProperties') {
    const extra = String((e.params as { additionalProperty: string }).additionalProperty);
    const field = at === '' ? extra : `${at}.${extra}`;
    return { message: at === '' ? `unknown argument '${extra}'` : `unknown field '${field}'`, field };
  }
  if (e.keyword === 'required') {
    const missing = String((e.params as { missingProperty: string }).missingProperty);
    const field = at === '' ? missing : `${at}.${missing}`;
    return { message: `missing argument '${field}'`, field };
  }
  if (e.keyword === 'type') {
    const types = [(e.params as { type: string | string[] }).type].flat();
    return { message: `'${at}' must be ${types.join(' or ')}`, field: at };
  }
  return { message: `'${at}' ${e.message ?? 'is invalid'}`, field: at };
}

/**
 * Alternatives (`path` or `paths`) are `oneOf` branches, each listing its required keys and
 * forbidding the others'. Ajv's errors per branch are noise; what helps is which alternative
 * the caller seems to have meant (it gave one of its keys) and what that one still lacks.
 */
function describeAlternatives(schema: object, data: unknown): { message: string; field: string } {
  const branches = ((schema as { oneOf?: Array<{ required?: string[] }> }).oneOf ?? []).map(
    (b) => b.required ?? [],
  );
  const choices = branches.map((keys) => keys.map((k) => `'${k}'`).join(' with ')).join(' or ');
  const given = new Set(Object.keys(data as object));
  const meant = branches.filter((keys) => keys.some((k) => given.has(k)));
  if (meant.length > 1) {
    const field = meant[1].find((k) => given.has(k)) as string;
    return { message: `give exactly one of ${choices}, not both`, field };
  }
  const missing = meant[0]?.find((k) => !given.has(k));
  if (missing) return { message: `missing argument '${missing}'`, field: missing };
  return { message: `give exactly one of ${choices}`, field: '' };
}

function describe(
  errors: readonly ErrorObject[],
  schema: object,
  data: unknown,
): { message: string; field: string } {
  const plain = errors.filter((e) => !e.schemaPath.startsWith('#/oneOf') && e.keyword !== 'oneOf');
  if (plain.length === 0) return describeAlternatives(schema, data);
  const described = plain.slice(0, 5).map(describeOne);
  return { message: described.map((d) => d.message).join('; '), field: described[0].field };
}
