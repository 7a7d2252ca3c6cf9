import { type ParseContext, type YamlPath } from './parse-context.js';
import { SHELL_OPERATORS, type ShellOperator, type ToolConstraintSpec } from './workflow.model.js';
import { checkKeys, isObject, readBoolean, readStringList } from './yaml-readers.js';

const KEYS = [
  'allowed_patterns',
  'forbidden_patterns',
  'allowed_commands',
  'forbidden_commands',
  'allow_shell_operators',
  'path_args',
  'network',
  'allow_git_writes',
];

export function readToolConstraints(
  ctx: ParseContext,
  raw: unknown,
  path: YamlPath,
): Record<string, ToolConstraintSpec> {
  const out: Record<string, ToolConstraintSpec> = {};
  if (raw === undefined || raw === null) return out;
  if (!isObject(raw)) {
    ctx.problem(
      path,
      "'tool_constraints' must map tool names to constraints",
      'write \'tool_constraints: { write_files: { allowed_patterns: ["src/**"] } }\'',
    );
    return out;
  }
  for (const [tool, value] of Object.entries(raw)) {
    const at = [...path, tool];
    if (!isObject(value)) {
      ctx.problem(at, `constraints of tool '${tool}' must be a mapping`);
      continue;
    }
    checkKeys(ctx, value, at, KEYS);
    const pathArgs =
      value['path_args'] === undefined ? undefined : readStringList(ctx, value, 'path_args', at);
    out[tool] = {
      allowed_patterns: readStringList(ctx, value, 'allowed_patterns', at),
      forbidden_patterns: readStringList(ctx, value, 'forbidden_patterns', at),
      allowed_commands: readCommands(ctx, value, 'allowed_commands', at),
      forbidden_commands: readCommands(ctx, value, 'forbidden_commands', at),
      allow_shell_operators: readOperators(ctx, value['allow_shell_operators'], [
        ...at,
        'allow_shell_operators',
      ]),
      ...(pathArgs === undefined ? {} : { path_args: pathArgs }),
      network: readBoolean(ctx, value, 'network', at, false),
      allow_git_writes: readBoolean(ctx, value, 'allow_git_writes', at, false),
      location: ctx.at(at),
    };
  }
  return out;
}

function readCommands(
  ctx: ParseContext,
  obj: Record<string, unknown>,
  key: string,
  path: YamlPath,
): string[] {
  const list = readStringList(ctx, obj, key, path);
  list.forEach((cmd, i) => {
    if (/[;&|<>`$()\n]/.test(cmd)) {
      ctx.problem(
        [...path, key, i],
        `command pattern '${cmd}' contains a shell operator`,
        'list one command prefix per entry, e.g. "npm test"',
      );
    }
  });
  return list.filter((cmd) => cmd.trim() !== '');
}

function readOperators(ctx: ParseContext, raw: unknown, path: YamlPath): boolean | ShellOperator[] {
  if (raw === undefined || raw === null) return false;
  if (typeof raw === 'boolean') return raw;
  if (!Array.isArray(raw)) {
    ctx.problem(
      path,
      "'allow_shell_operators' must be true, false or a list of operators",
      `operators: ${SHELL_OPERATORS.join(' ')}`,
    );
    return false;
  }
  const out: ShellOperator[] = [];
  raw.forEach((op, i) => {
    if (typeof op === 'string' && (SHELL_OPERATORS as readonly string[]).includes(op))
      out.push(op as ShellOperator);
    else
      ctx.problem(
        [...path, i],
        `unknown shell operator ${JSON.stringify(op)}`,
        `operators: ${SHELL_OPERATORS.join(' ')}`,
      );
  });
  return out;
}
