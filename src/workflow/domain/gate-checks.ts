import { closest } from '../../common/domain/closest.js';
import { artifactPresent } from './checks/artifact.checks.js';
import { type CheckDefinition, type CheckParams, type ParamSpec } from './checks/check.model.js';
import { PLAN_CHECKS } from './checks/plan.checks.js';
import { REVIEW_CHECKS } from './checks/review.checks.js';
import { TEST_CHECKS } from './checks/test.checks.js';

/** The library of named gate checks, by name. */
export const GATE_CHECKS: ReadonlyMap<string, CheckDefinition> = new Map(
  [...PLAN_CHECKS, ...TEST_CHECKS, ...REVIEW_CHECKS, artifactPresent].map((c) => [c.name, c]),
);

export const knownCheckNames = (): string[] => [...GATE_CHECKS.keys()].sort();

export interface ParamProblem {
  readonly key?: string;
  readonly message: string;
  readonly fix?: string;
}

/** Problems with the params a blocker gives its check, found at load time. */
export function validateCheckParams(check: CheckDefinition, params: CheckParams): ParamProblem[] {
  const problems: ParamProblem[] = [];
  const known = Object.keys(check.params);
  for (const [key, value] of Object.entries(params)) {
    const spec = check.params[key];
    if (!spec) {
      const near = closest(key, [...known, 'check', 'severity', 'message']);
      problems.push({
        key,
        message: `check '${check.name}' has no parameter '${key}'`,
        fix: near
          ? `did you mean '${near}'?`
          : known.length
            ? `parameters: ${known.join(', ')}`
            : 'remove it',
      });
      continue;
    }
    const error = paramError(spec, value);
    if (error)
      problems.push({
        key,
        message: `parameter '${key}' of '${check.name}' ${error}`,
        fix: spec.description,
      });
  }
  for (const [key, spec] of Object.entries(check.params)) {
    if (spec.required && params[key] === undefined) {
      problems.push({
        message: `check '${check.name}' needs parameter '${key}'`,
        fix: `add '${key}: …' (${spec.description})`,
      });
    }
  }
  return problems;
}

function paramError(spec: ParamSpec, value: unknown): string | null {
  const range = (n: number) =>
    (spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)
      ? `must be between ${spec.min ?? '-∞'} and ${spec.max ?? '∞'}`
      : null;
  const isStringList = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== '');
  switch (spec.type) {
    case 'string':
      return typeof value === 'string' && value !== '' ? null : 'must be a non-empty string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? range(value) : 'must be a number';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? range(value) : 'must be an integer';
    case 'string_list':
      return isStringList(value) ? null : 'must be a list of strings';
    case 'count_or_names':
      if (typeof value === 'number')
        return Number.isInteger(value) && value >= 1 ? null : 'must be a count ≥ 1';
      return isStringList(value) && (value as string[]).length > 0
        ? null
        : 'must be a count or a list of names';
  }
}
