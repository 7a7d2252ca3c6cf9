import picomatch from 'picomatch';
import { checkCommand, type CommandRules, compileCommandRules } from './command-policy.js';
import { resolveMode } from './enforcement-mode.js';
import {
  collectPathArgs,
  compileGlobs,
  DEFAULT_PATH_ARGS,
  type GlobRule,
  toWorkspaceGlob,
  toWorkspacePath,
} from './path-policy.js';
import { canonicalTool, namesOfTool } from './tool-names.js';
import { type EnforcementMode, type PhaseSpec, type WorkflowDefinition } from './workflow.model.js';

/** Argument keys holding a command line (a string run by a shell, or an argv list). */
export const COMMAND_ARGS: readonly string[] = ['command', 'cmd'];

/**
 * Tools that write the paths they are given. Under `.git/` they may not (a hook or a config
 * entry there runs code at the next git command) unless their constraints set `allow_git_writes`.
 */
export const WRITING_TOOLS: ReadonlySet<string> = new Set(['write_files', 'edit_files', 'delete_files']);

export interface ToolDecisionInput {
  readonly phase: string;
  readonly tool: string;
  readonly args?: Readonly<Record<string, unknown>> | null;
  /** Absolute path of the task's workspace. */
  readonly workspaceRoot: string;
  /** Overrides the workflow's mode; `advisory` = `audit`. */
  readonly mode?: string;
}

/** Why a call is (or, in a lenient mode, would be) denied: one code per cause. */
export type DenialCode = 'tool_forbidden' | 'path_outside_workspace';

/** The rule named when a path leaves the workspace (`..`, elsewhere absolute). */
export const WORKSPACE_RULE = 'workspace_root';

export interface ToolDecision {
  readonly allowed: boolean;
  readonly reason: string;
  /** The workflow rule that decided, e.g. `phases.IMPL.forbidden_tools`. */
  readonly rule?: string;
  /** Set with `rule` when strict denies (or would deny): the error code of that denial. */
  readonly code?: DenialCode;
  readonly phase: string;
  /** The canonical name: `grep` when the call said `search_files`. */
  readonly tool: string;
  readonly mode: EnforcementMode;
  /** Allowed only because the mode is permissive or audit: strict would have denied. */
  readonly would_deny: boolean;
}

interface ToolRules {
  readonly key: string;
  readonly pathArgs: ReadonlySet<string>;
  readonly allowedPaths: readonly GlobRule[];
  readonly forbiddenPaths: readonly GlobRule[];
  readonly allowGitWrites: boolean;
  readonly commands: CommandRules;
}

interface PhaseRules {
  readonly id: string;
  readonly allowed: (tool: string) => boolean;
  readonly forbidden: (tool: string) => boolean;
  readonly tools: ReadonlyMap<string, ToolRules>;
  readonly fallback: ToolRules;
}

/** Everything `decideTool` needs, compiled once per workflow at load. */
export interface ToolPolicy {
  readonly workflow: string;
  readonly mode: EnforcementMode;
  readonly phases: ReadonlyMap<string, PhaseRules>;
}

/**
 * Tool names match exactly or by glob (`mcp__*`), under any of the tool's names: a list
 * naming `search_files` names `grep` (`tool` is canonical).
 */
function nameMatcher(names: readonly string[]): (tool: string) => boolean {
  const exact = new Set(names.filter((n) => !picomatch.scan(n).isGlob).map(canonicalTool));
  const globs = names.filter((n) => picomatch.scan(n).isGlob).map((n) => picomatch(n));
  if (globs.length === 0) return (tool) => exact.has(tool);
  return (tool) => exact.has(tool) || namesOfTool(tool).some((name) => globs.some((g) => g(name)));
}

function compilePhase(phase: PhaseSpec): PhaseRules {
  const tools = new Map<string, ToolRules>();
  for (const [written, c] of Object.entries(phase.tool_constraints)) {
    const tool = canonicalTool(written);
    tools.set(tool, {
      key: `phases.${phase.id}.tool_constraints.${written}`,
      pathArgs: new Set(c.path_args ?? DEFAULT_PATH_ARGS),
      allowedPaths: compileGlobs(c.allowed_patterns),
      forbiddenPaths: compileGlobs(c.forbidden_patterns),
      allowGitWrites: c.allow_git_writes,
      commands: compileCommandRules(c),
    });
  }
  return {
    id: phase.id,
    allowed: nameMatcher(phase.allowed_tools),
    forbidden: nameMatcher(phase.forbidden_tools),
    tools,
    fallback: {
      key: `phases.${phase.id}`,
      pathArgs: new Set(DEFAULT_PATH_ARGS),
      allowedPaths: [],
      forbiddenPaths: [],
      allowGitWrites: false,
      commands: compileCommandRules(undefined),
    },
  };
}

export function compileToolPolicy(def: WorkflowDefinition): ToolPolicy {
  return {
    workflow: def.name,
    mode: def.enforcement.mode,
    phases: new Map(def.phases.map((p) => [p.id, compilePhase(p)])),
  };
}

type Verdict = { readonly reason: string; readonly rule: string; readonly code?: DenialCode } | null;

/**
 * May `tool` run with `args` in `phase`? Pure and I/O-free: it runs on every tool call.
 * Forbidden beats allowed; a tool not allowed is denied; then path and command constraints.
 */
export function decideTool(policy: ToolPolicy, called: ToolDecisionInput): ToolDecision {
  const tool = canonicalTool(called.tool);
  const input = tool === called.tool ? called : { ...called, tool };
  const mode = resolveMode(input.mode, policy.mode);
  const phase = policy.phases.get(input.phase);
  if (!phase) {
    // Not demoted by the mode: without a phase there is no policy to be lenient about.
    const reason = `phase '${input.phase}' is not defined in workflow '${policy.workflow}'`;
    return decision(input, mode, false, reason, 'phases', false, 'tool_forbidden');
  }
  const denied = evaluate(phase, input);
  if (!denied)
    return decision(
      input,
      mode,
      true,
      `tool '${input.tool}' is allowed in phase ${phase.id}`,
      undefined,
      false,
      undefined,
    );
  const code = denied.code ?? 'tool_forbidden';
  if (mode === 'strict') return decision(input, mode, false, denied.reason, denied.rule, false, code);
  return decision(input, mode, true, `${mode} mode, would deny: ${denied.reason}`, denied.rule, true, code);
}

/** Built field by field: object spread costs far more than the whole decision on this path. */
function decision(
  input: ToolDecisionInput,
  mode: EnforcementMode,
  allowed: boolean,
  reason: string,
  rule: string | undefined,
  wouldDeny: boolean,
  code: DenialCode | undefined,
): ToolDecision {
  const d: { -readonly [K in keyof ToolDecision]: ToolDecision[K] } = {
    allowed,
    reason,
    phase: input.phase,
    tool: input.tool,
    mode,
    would_deny: wouldDeny,
  };
  if (rule !== undefined) d.rule = rule;
  if (code !== undefined) d.code = code;
  return d;
}

function evaluate(phase: PhaseRules, input: ToolDecisionInput): Verdict {
  const { tool } = input;
  if (phase.forbidden(tool)) {
    return {
      // "not allowed in phase" is also what the earlier orchestrator said (its SDK's tests match it).
      reason: `tool '${tool}' is not allowed in phase ${phase.id}: its forbidden_tools name it`,
      rule: `phases.${phase.id}.forbidden_tools`,
    };
  }
  if (!phase.allowed(tool)) {
    return {
      reason: `tool '${tool}' is not allowed in phase ${phase.id}`,
      rule: `phases.${phase.id}.allowed_tools`,
    };
  }
  const rules = phase.tools.get(tool) ?? phase.fallback;
  const args = input.args ?? {};
  return (
    checkPaths(phase, tool, rules, args, input.workspaceRoot) ??
    checkCommands(phase, tool, rules, args, input.workspaceRoot)
  );
}

function checkPaths(
  phase: PhaseRules,
  tool: string,
  rules: ToolRules,
  args: Readonly<Record<string, unknown>>,
  root: string,
): Verdict {
  const { paths, error } = collectPathArgs(args, rules.pathArgs);
  if (error)
    return { reason: `${error} (tool '${tool}', phase ${phase.id})`, rule: `${rules.key}.path_args` };
  for (const arg of paths) {
    const normal = arg.glob ? toWorkspaceGlob(arg.value, root) : toWorkspacePath(arg.value, root);
    if (!normal.ok)
      return {
        reason: `${normal.reason} (tool '${tool}', phase ${phase.id})`,
        rule: WORKSPACE_RULE,
        code: 'path_outside_workspace',
      };
    const verdict = judgePath(phase, tool, rules, normal.path, WRITING_TOOLS.has(tool));
    if (verdict) return { reason: `path '${normal.path}' ${verdict.reason}`, rule: verdict.rule };
  }
  return null;
}

/** A path with a `.git` component: the repository's internals, at the top or in a nested repo. */
function inGitDir(path: string): boolean {
  return path === '.git' || path.startsWith('.git/') || path.includes('/.git/') || path.endsWith('/.git');
}

/** Why the phase's rules refuse a workspace-relative `path` for `tool` (phrased to follow the path), or null. */
function judgePath(phase: PhaseRules, tool: string, rules: ToolRules, path: string, write: boolean): Verdict {
  const forbidden = rules.forbiddenPaths.find((g) => g.test(path));
  if (forbidden) {
    return {
      reason: `matches forbidden pattern '${forbidden.pattern}' for '${tool}' in phase ${phase.id}`,
      rule: `${rules.key}.forbidden_patterns`,
    };
  }
  if (rules.allowedPaths.length > 0 && !rules.allowedPaths.some((g) => g.test(path))) {
    return {
      reason: `matches no allowed pattern for '${tool}' in phase ${phase.id} (${rules.allowedPaths.map((g) => g.pattern).join(', ')})`,
      rule: `${rules.key}.allowed_patterns`,
    };
  }
  if (write && !rules.allowGitWrites && inGitDir(path)) {
    return {
      reason: `is inside .git, which '${tool}' may not write in phase ${phase.id} (the workflow can set allow_git_writes)`,
      rule: `phases.${phase.id}.tool_constraints.${tool}.allow_git_writes`,
    };
  }
  return null;
}

/**
 * The same path rules `decideTool` applies to the paths as written, for the paths a tool call
 * really touches once symlinks are resolved (`rel` is real and workspace-relative). The
 * executor knows whether it writes. The caller applies the enforcement mode.
 */
export function resolvedPathRule(
  policy: ToolPolicy,
  phaseId: string,
  called: string,
): (rel: string, access: 'read' | 'write') => Verdict {
  const phase = policy.phases.get(phaseId);
  if (!phase) return () => ({ reason: `phase '${phaseId}' is not defined`, rule: 'phases' });
  const tool = canonicalTool(called);
  const rules = phase.tools.get(tool) ?? phase.fallback;
  return (rel, access) => judgePath(phase, tool, rules, rel, access === 'write');
}

function checkCommands(
  phase: PhaseRules,
  tool: string,
  rules: ToolRules,
  args: Readonly<Record<string, unknown>>,
  root: string,
): Verdict {
  for (const key of COMMAND_ARGS) {
    const command = args[key];
    if (command === undefined || command === null) continue;
    const isArgv =
      Array.isArray(command) && command.length > 0 && command.every((w) => typeof w === 'string');
    if (typeof command !== 'string' && !isArgv) {
      return {
        reason: `argument '${key}' must be a command string or a list of words`,
        rule: `${rules.key}.allowed_commands`,
      };
    }
    const verdict = checkCommand(command as string | string[], rules.commands, root);
    if (!verdict.ok) {
      const reason = `${verdict.reason} (tool '${tool}', phase ${phase.id})`;
      if (verdict.rule === 'path_escape') {
        return { reason, rule: WORKSPACE_RULE, code: 'path_outside_workspace' };
      }
      const rule = `${rules.key}.${verdict.rule === 'invalid_command' ? 'allowed_commands' : verdict.rule === 'shell_operator' ? 'allow_shell_operators' : verdict.rule}`;
      return { reason, rule };
    }
  }
  return null;
}
