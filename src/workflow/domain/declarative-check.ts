import { closest } from '../../common/domain/closest.js';
import { type ArtifactMap, type CheckOutcome, fail, pass } from './checks/check.model.js';
import { jsonEqual, parsePointer, resolvePointer } from './json-pointer.js';
import { type ParseContext, type YamlPath } from './parse-context.js';
import { DECLARATIVE_OPS, type DeclarativeCheckSpec, type DeclarativeOp } from './workflow.model.js';
import { isObject } from './yaml-readers.js';

/*
 * The declarative check form, for rules written in YAML alone:
 *
 *   - check: { artifact: plan_document, pointer: /risks, op: min_items, value: 1 }
 *     severity: warning
 *     message: the plan should name at least one risk
 */

const KEYS = ['artifact', 'pointer', 'op', 'value'];
const NUMERIC: readonly DeclarativeOp[] = ['gt', 'gte', 'lt', 'lte'];
const COUNTS: readonly DeclarativeOp[] = ['min_items', 'max_items'];

/** Reads and validates a `check: {…}` object; problems go to `ctx`, undefined when invalid. */
export function readDeclarativeCheck(
  ctx: ParseContext,
  raw: unknown,
  path: YamlPath,
): DeclarativeCheckSpec | undefined {
  if (!isObject(raw)) return undefined;
  const before = ctx.problems.length;
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key)) {
      const near = closest(key, KEYS);
      ctx.problemAt(
        ctx.keyAt([...path, key]),
        `unknown key '${key}' in declarative check`,
        near ? `did you mean '${near}'?` : `keys: ${KEYS.join(', ')}`,
      );
    }
  }
  const artifact = raw['artifact'];
  if (typeof artifact !== 'string' || artifact === '') {
    ctx.problem(
      path,
      `declarative check needs 'artifact' (the artifact type to read)`,
      `add 'artifact: plan_document'`,
    );
  }
  const pointer = raw['pointer'] ?? '';
  if (typeof pointer !== 'string' || parsePointer(pointer) === null) {
    ctx.problem(
      [...path, 'pointer'],
      `'pointer' must be a JSON pointer like '/acceptance_criteria'`,
      `start it with '/' ('' means the whole artifact)`,
    );
  }
  const op = raw['op'];
  if (typeof op !== 'string' || !(DECLARATIVE_OPS as readonly string[]).includes(op)) {
    const near = typeof op === 'string' ? closest(op, DECLARATIVE_OPS) : null;
    ctx.problem(
      [...path, 'op'],
      `invalid op ${JSON.stringify(op)}; expected one of ${DECLARATIVE_OPS.join(', ')}`,
      near ? `did you mean '${near}'?` : undefined,
    );
  } else {
    valueProblem(ctx, op as DeclarativeOp, raw, path);
  }
  if (ctx.problems.length > before) return undefined;
  return {
    artifact: artifact as string,
    pointer: pointer as string,
    op: op as DeclarativeOp,
    ...(raw['value'] === undefined ? {} : { value: raw['value'] }),
  };
}

function valueProblem(
  ctx: ParseContext,
  op: DeclarativeOp,
  raw: Record<string, unknown>,
  path: YamlPath,
): void {
  const value = raw['value'];
  const at = [...path, 'value'];
  if (op === 'exists' || op === 'not_exists') return;
  if (value === undefined) {
    ctx.problem(path, `op '${op}' needs a 'value'`, `add 'value: …'`);
  } else if (NUMERIC.includes(op) && (typeof value !== 'number' || !Number.isFinite(value))) {
    ctx.problem(at, `op '${op}' needs a numeric value, got ${JSON.stringify(value)}`);
  } else if (COUNTS.includes(op) && !(typeof value === 'number' && Number.isInteger(value) && value >= 0)) {
    ctx.problem(at, `op '${op}' needs a non-negative integer value, got ${JSON.stringify(value)}`);
  } else if (op === 'matches') {
    if (typeof value !== 'string') {
      ctx.problem(at, `op 'matches' needs a regular expression string`);
    } else {
      try {
        new RegExp(value, 'u');
      } catch (err) {
        ctx.problem(
          at,
          `invalid regular expression: ${(err as Error).message}`,
          'fix the pattern (JavaScript RegExp syntax, u flag)',
        );
      }
    }
  }
}

export type CompiledCheck = (artifacts: ArtifactMap) => CheckOutcome;

/** Pointer tokens and regex are prepared once, at load. */
export function compileDeclarativeCheck(spec: DeclarativeCheckSpec): CompiledCheck {
  const tokens = parsePointer(spec.pointer) ?? [];
  const where = `${spec.artifact}${spec.pointer}`;
  const regex = spec.op === 'matches' ? new RegExp(String(spec.value), 'u') : null;
  const expected = JSON.stringify(spec.value);
  return (artifacts) => {
    const actual = resolvePointer(artifacts[spec.artifact], tokens);
    const shown = actual === undefined ? 'missing' : short(actual);
    const verdict = evaluate(spec, actual, regex);
    const detail =
      verdict === true
        ? `${where} ${spec.op} ${expected ?? ''}`.trim()
        : `${where} is ${shown}; expected ${spec.op}${spec.value === undefined ? '' : ` ${expected}`}${verdict ? ` (${verdict})` : ''}`;
    return verdict === true ? pass(detail) : fail(detail, spec.artifact, spec.pointer);
  };
}

/** true when the rule holds; otherwise false, or a string saying why it cannot be compared. */
function evaluate(spec: DeclarativeCheckSpec, actual: unknown, regex: RegExp | null): true | false | string {
  const v = spec.value;
  const present = actual !== undefined && actual !== null;
  switch (spec.op) {
    case 'exists':
      return present;
    case 'not_exists':
      return !present;
    case 'equals':
      return jsonEqual(actual, v);
    case 'not_equals':
      return !jsonEqual(actual, v);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if (typeof actual !== 'number') return 'not a number';
      const n = v as number;
      return spec.op === 'gt'
        ? actual > n
        : spec.op === 'gte'
          ? actual >= n
          : spec.op === 'lt'
            ? actual < n
            : actual <= n;
    }
    case 'min_items':
    case 'max_items':
      if (!Array.isArray(actual)) return 'not a list';
      return spec.op === 'min_items' ? actual.length >= (v as number) : actual.length <= (v as number);
    case 'matches':
      if (typeof actual !== 'string') return 'not a string';
      return regex !== null && regex.test(actual);
  }
}

function short(value: unknown): string {
  const text = Array.isArray(value) ? `a list of ${value.length}` : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
