import { closest } from '../../common/domain/closest.js';
import { type ParseContext, type YamlPath } from './parse-context.js';

export type YamlObject = Record<string, unknown>;

export function isObject(value: unknown): value is YamlObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Keys the earlier (Python) orchestrator's files used that this engine does not act on.
 * They are kept and reported as "not enforced", never mistaken for typos of known keys.
 */
const LEGACY_KEYS = new Set([
  'description',
  'validation',
  'auto_advance',
  'triggers',
  'auto_spawn',
  'coordination',
  'monitoring',
  'recovery',
  'metadata',
  'tags',
  'notes',
  'owner',
  'author',
]);

/**
 * Unknown keys are kept as not enforced, except near-misses of a known key: a silently
 * ignored `forbiden_tools` would weaken the policy, so that is a load problem instead.
 */
export function checkKeys(
  ctx: ParseContext,
  obj: YamlObject,
  path: YamlPath,
  known: readonly string[],
): void {
  for (const [key, value] of Object.entries(obj)) {
    if (known.includes(key)) continue;
    const near = LEGACY_KEYS.has(key) ? null : closest(key, known);
    if (near) {
      ctx.problemAt(ctx.keyAt([...path, key]), `unknown key '${key}'`, `did you mean '${near}'?`);
    } else {
      ctx.keepUnenforced([...path, key], value);
    }
  }
}

export function readString(
  ctx: ParseContext,
  obj: YamlObject,
  key: string,
  path: YamlPath,
  required = false,
): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) {
    if (required) ctx.problem(path, `missing required key '${key}'`, `add '${key}: <string>'`);
    return undefined;
  }
  if (typeof value === 'string' && value.trim() !== '') return value;
  ctx.problem(
    [...path, key],
    `'${key}' must be a non-empty string`,
    `write '${key}' as text, e.g. ${key}: example`,
  );
  return undefined;
}

export function readStringList(ctx: ParseContext, obj: YamlObject, key: string, path: YamlPath): string[] {
  const value = obj[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    ctx.problem([...path, key], `'${key}' must be a list of strings`, `write '${key}: [a, b]'`);
    return [];
  }
  const out: string[] = [];
  value.forEach((item, i) => {
    if (typeof item === 'string' && item !== '') out.push(item);
    else ctx.problem([...path, key, i], `'${key}' entries must be non-empty strings`);
  });
  return out;
}

export function readBoolean(
  ctx: ParseContext,
  obj: YamlObject,
  key: string,
  path: YamlPath,
  fallback: boolean,
): boolean {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  ctx.problem([...path, key], `'${key}' must be true or false`);
  return fallback;
}

export function readPositiveNumber(
  ctx: ParseContext,
  obj: YamlObject,
  key: string,
  path: YamlPath,
): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  ctx.problem([...path, key], `'${key}' must be a positive number`);
  return undefined;
}

/** A value that must be one of `allowed`; a misspelling gets the closest suggestion. */
export function readEnum<T extends string>(
  ctx: ParseContext,
  obj: YamlObject,
  key: string,
  path: YamlPath,
  allowed: readonly T[],
  fallback: T,
  aliases: Readonly<Record<string, T>> = {},
): T {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string') {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    if (Object.hasOwn(aliases, value)) return aliases[value];
  }
  const shown = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  const near = typeof value === 'string' ? closest(value, [...allowed, ...Object.keys(aliases)]) : null;
  ctx.problem(
    [...path, key],
    `invalid ${key} ${shown}; expected one of ${allowed.join(', ')}`,
    near ? `did you mean '${near}'?` : `use one of: ${allowed.join(', ')}`,
  );
  return fallback;
}
