import { closest } from '../../common/domain/closest.js';
import { approverProblems } from './approvers.js';
import { readDeclarativeCheck } from './declarative-check.js';
import { GATE_CHECKS, knownCheckNames, validateCheckParams } from './gate-checks.js';
import { type ParseContext, type YamlPath } from './parse-context.js';
import { type BlockerSpec, GATE_TYPES, type GateSpec, SEVERITIES } from './workflow.model.js';
import {
  checkKeys,
  isObject,
  readEnum,
  readPositiveNumber,
  readString,
  readStringList,
  type YamlObject,
} from './yaml-readers.js';

const GATE_KEYS = ['id', 'type', 'description', 'blockers', 'timeout_seconds', 'approvers'];
/** Keys of a blocker that are not check params. */
const BLOCKER_KEYS = ['check', 'severity', 'message', 'description', 'params'];

export function readGate(ctx: ParseContext, raw: unknown, path: YamlPath): GateSpec | undefined {
  if (!isObject(raw)) {
    ctx.problem(
      path,
      'a gate must be a mapping',
      "write '- { id: my_gate, type: validation, blockers: [...] }'",
    );
    return undefined;
  }
  checkKeys(ctx, raw, path, GATE_KEYS);
  const id = readString(ctx, raw, 'id', path, true);
  const type = readEnum(ctx, raw, 'type', path, GATE_TYPES, 'validation');
  const description = readString(ctx, raw, 'description', path);
  const blockers: BlockerSpec[] = [];
  const list = raw['blockers'];
  if (list === undefined || list === null) {
    ctx.problem(
      path,
      `gate '${id ?? '?'}' has no blockers list`,
      type === 'approval'
        ? "add 'blockers: []' (an approval gate may have no checks)"
        : "add 'blockers:' with at least one check",
    );
  } else if (!Array.isArray(list)) {
    ctx.problem([...path, 'blockers'], `'blockers' of gate '${id ?? '?'}' must be a list`);
  } else {
    if (list.length === 0 && type !== 'approval') {
      ctx.problem(
        [...path, 'blockers'],
        `${type} gate '${id ?? '?'}' has an empty blockers list`,
        'add at least one check, or make it an approval gate',
      );
    }
    list.forEach((b, i) => {
      const blocker = readBlocker(ctx, b, [...path, 'blockers', i]);
      if (blocker) blockers.push(blocker);
    });
  }
  if (id === undefined) return undefined;
  const timeout = readPositiveNumber(ctx, raw, 'timeout_seconds', path);
  return ctx.remember<GateSpec>(
    {
      id,
      type,
      ...(description === undefined ? {} : { description }),
      blockers,
      ...(timeout === undefined ? {} : { timeout_seconds: timeout }),
      approvers: readApprovers(ctx, raw, path),
      location: ctx.at(path),
    },
    path,
  );
}

/** Role names, `human` and subjects allowed to approve; an agent never is one. */
function readApprovers(ctx: ParseContext, raw: YamlObject, path: YamlPath): string[] {
  const approvers = readStringList(ctx, raw, 'approvers', path);
  for (const p of approverProblems(approvers)) {
    const at = p.index === undefined ? [...path, 'approvers'] : [...path, 'approvers', p.index];
    if (p.severity === 'error') ctx.problem(at, p.message, p.fix);
    else ctx.warn(at, p.message, p.fix);
  }
  return approvers;
}

/** A blocker: `{check, severity, message, …params}`; a bare string is a blocking named check. */
export function readBlocker(ctx: ParseContext, raw: unknown, path: YamlPath): BlockerSpec | undefined {
  const obj: YamlObject | undefined =
    typeof raw === 'string' ? { check: raw } : isObject(raw) ? raw : undefined;
  if (!obj) {
    ctx.problem(
      path,
      'a blocker must be a mapping with a check',
      "write '- { check: all_tests_pass, severity: blocking }'",
    );
    return undefined;
  }
  const severity = readEnum(ctx, obj, 'severity', path, SEVERITIES, 'blocking');
  const message = readString(ctx, obj, 'message', path);
  const base = { severity, ...(message === undefined ? {} : { message }), location: ctx.at(path) };
  const check = obj['check'];
  const checkPath = typeof raw === 'string' ? path : [...path, 'check'];

  if (isObject(check)) {
    const extra = Object.keys(obj).filter((k) => !BLOCKER_KEYS.includes(k) || k === 'params');
    for (const key of extra) {
      ctx.problemAt(
        ctx.keyAt([...path, key]),
        `declarative check takes no parameter '${key}'`,
        "put the rule inside 'check: {artifact, pointer, op, value}'",
      );
    }
    const declarative = readDeclarativeCheck(ctx, check, checkPath);
    return declarative ? { check: 'declarative', declarative, params: {}, ...base } : undefined;
  }
  if (typeof check !== 'string' || check === '') {
    ctx.problem(
      checkPath,
      "a blocker needs 'check': a check name or a {artifact, pointer, op, value} rule",
      `known checks: ${knownCheckNames().join(', ')}`,
    );
    return undefined;
  }
  const definition = GATE_CHECKS.get(check);
  if (!definition) {
    const near = closest(check, knownCheckNames());
    const fix = `${near ? `did you mean '${near}'? ` : ''}known checks: ${knownCheckNames().join(', ')}`;
    if (severity === 'blocking') {
      ctx.problem(checkPath, `unknown check '${check}'`, fix);
      return undefined;
    }
    // A check that would only warn cannot block anything: skipped, as the earlier engine did,
    // but said so, since nobody will ever see its warning.
    ctx.keepUnenforced(path, raw);
    ctx.warn(checkPath, `unknown check '${check}' (severity ${severity}) is not enforced`, fix);
    return undefined;
  }
  const params = readParams(ctx, obj, path);
  for (const p of validateCheckParams(definition, params)) {
    const at =
      p.key === undefined
        ? path
        : isObject(obj['params']) && p.key in obj['params']
          ? [...path, 'params', p.key]
          : [...path, p.key];
    ctx.problem(at, p.message, p.fix);
  }
  return { check, params, ...base };
}

/** Params are the blocker's extra keys (the earlier format) and/or a `params:` mapping. */
function readParams(ctx: ParseContext, obj: YamlObject, path: YamlPath): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) if (!BLOCKER_KEYS.includes(key)) params[key] = value;
  const nested = obj['params'];
  if (nested !== undefined && nested !== null) {
    if (isObject(nested)) Object.assign(params, nested);
    else ctx.problem([...path, 'params'], "'params' must be a mapping");
  }
  return params;
}
