import { InvalidInputError } from '../../common/domain/domain-error.js';
import { resolveMode } from './enforcement-mode.js';
import { decideTool, type ToolDecision } from './tool-policy.js';
import { constraintOf } from './tool-names.js';
import { type Workflow } from './workflow.runtime.js';

/** Tool names as `/tools/authorize` accepts them. */
const TOOL_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

/** A tool call asked of a workflow offline: what `policy check` takes. */
export interface PolicyQuestion {
  readonly phase: string;
  readonly tool: string;
  /** Workspace paths the call names; sent under the tool's first path argument. */
  readonly paths?: readonly string[];
  /** A command line, sent as `command`. */
  readonly command?: string;
  /** Further arguments, as the call's JSON `args`; `paths`/`command` are added to them. */
  readonly args?: Readonly<Record<string, unknown>>;
  /** Absolute workspace root that absolute paths are judged against. */
  readonly workspaceRoot: string;
  /** Overrides the workflow's enforcement mode. */
  readonly mode?: string;
}

/** The server's decision for that call, with the rule that decided it and the args it judged. */
export interface PolicyAnswer {
  readonly decision: ToolDecision;
  /** The rule named: the denying one, or for an allow the phase's `allowed_tools`. */
  readonly decided_by: string;
  readonly args: Readonly<Record<string, unknown>>;
}

/**
 * Decides `question` exactly as `/tools/authorize` would for a task in that phase. Throws
 * `InvalidInputError` for a question the server would refuse before deciding (unknown phase,
 * tool name or mode), so a typo is never reported as a denial.
 */
export function askPolicy(workflow: Workflow, question: PolicyQuestion): PolicyAnswer {
  const phase = workflow.runtime.phases.get(question.phase);
  if (!phase) {
    const known = workflow.phases.map((p) => p.id).join(', ');
    throw new InvalidInputError(
      'unknown_phase',
      `phase '${question.phase}' is not defined in workflow '${workflow.name}' (phases: ${known})`,
    );
  }
  if (!TOOL_NAME.test(question.tool)) {
    throw new InvalidInputError(
      'invalid_tool_name',
      `'${question.tool}' is not a tool name (letters, digits, _ . : -, at most 100)`,
    );
  }
  const mode =
    question.mode === undefined ? undefined : resolveMode(question.mode, workflow.enforcement.mode);
  const args = callArgs(question, constraintOf(phase, question.tool)?.path_args);
  const decision = decideTool(workflow.runtime.toolPolicy, {
    phase: question.phase,
    tool: question.tool,
    args,
    workspaceRoot: question.workspaceRoot,
    ...(mode === undefined ? {} : { mode }),
  });
  return { decision, decided_by: decision.rule ?? `phases.${question.phase}.allowed_tools`, args };
}

function callArgs(
  question: PolicyQuestion,
  pathArgs: readonly string[] | undefined,
): Record<string, unknown> {
  const args: Record<string, unknown> = { ...(question.args ?? {}) };
  if (question.paths && question.paths.length > 0) {
    // A tool whose constraints name its path arguments is judged on those; others on `paths`.
    const key = pathArgs?.[0] ?? 'paths';
    args[key] = [...question.paths];
  }
  if (question.command !== undefined) args.command = question.command;
  return args;
}
