import { type Workflow } from './workflow.runtime.js';
import { type ToolConstraintSpec } from './workflow.model.js';

/**
 * The JSON shape of a workflow for the API and `workflow show --json`: the definition without
 * source positions, file paths or compiled parts.
 */
export interface WorkflowView {
  readonly name: string;
  readonly version: string;
  readonly description: string | null;
  readonly enforcement: {
    readonly mode: string;
    readonly declared_mode: string;
    readonly phase_tokens: Record<string, unknown>;
  };
  readonly phases: readonly PhaseView[];
  readonly transitions: readonly TransitionView[];
  readonly schemas: Readonly<Record<string, unknown>>;
  readonly unenforced: readonly { readonly path: string; readonly line: number }[];
  readonly warnings: readonly { readonly line: number; readonly message: string }[];
}

export interface PhaseView {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly allowed_tools: readonly string[];
  readonly forbidden_tools: readonly string[];
  readonly required_artifacts: readonly { type: string; schema: string | null; description: string | null }[];
  readonly gates: readonly GateView[];
  readonly tool_constraints: Readonly<Record<string, Omit<ToolConstraintSpec, 'location'>>>;
}

export interface GateView {
  readonly id: string;
  readonly type: string;
  readonly description: string | null;
  readonly approvers: readonly string[];
  readonly timeout_seconds: number | null;
  readonly blockers: readonly {
    check: string;
    severity: string;
    message: string | null;
    params: Readonly<Record<string, unknown>>;
    rule: unknown;
  }[];
}

export interface TransitionView {
  readonly from: string;
  readonly to: string;
  readonly gate: string | null;
  readonly requires_token: boolean;
  readonly description: string | null;
}

export interface WorkflowSummary {
  readonly name: string;
  readonly version: string;
  readonly description: string | null;
  readonly mode: string;
  readonly phases: readonly string[];
}

export function summarizeWorkflow(wf: Workflow): WorkflowSummary {
  return {
    name: wf.name,
    version: wf.version,
    description: wf.description ?? null,
    mode: wf.enforcement.mode,
    phases: wf.phases.map((p) => p.id),
  };
}

export function toWorkflowView(wf: Workflow): WorkflowView {
  return {
    name: wf.name,
    version: wf.version,
    description: wf.description ?? null,
    enforcement: { ...wf.enforcement, phase_tokens: { ...wf.enforcement.phase_tokens } },
    phases: wf.phases.map((p) => ({
      id: p.id,
      name: p.name,
      description: p.description ?? null,
      allowed_tools: p.allowed_tools,
      forbidden_tools: p.forbidden_tools,
      required_artifacts: p.required_artifacts.map((a) => ({
        type: a.type,
        schema: a.schema ?? null,
        description: a.description ?? null,
      })),
      gates: p.gates.map((g) => ({
        id: g.id,
        type: g.type,
        description: g.description ?? null,
        approvers: g.approvers,
        timeout_seconds: g.timeout_seconds ?? null,
        blockers: g.blockers.map((b) => ({
          check: b.check,
          severity: b.severity,
          message: b.message ?? null,
          params: b.params,
          rule: b.declarative ?? null,
        })),
      })),
      tool_constraints: Object.fromEntries(
        Object.entries(p.tool_constraints).map(([tool, c]) => {
          const { location: _location, ...rest } = c;
          return [tool, rest];
        }),
      ),
    })),
    transitions: wf.transitions.map((t) => ({
      from: t.from,
      to: t.to,
      gate: t.gate ?? null,
      requires_token: t.requires_token,
      description: t.description ?? null,
    })),
    schemas: Object.fromEntries(Object.entries(wf.schemas).map(([name, s]) => [name, s.schema])),
    unenforced: wf.unenforced.map((u) => ({ path: u.path, line: u.location.line })),
    warnings: wf.warnings.map((w) => ({ line: w.line, message: w.message })),
  };
}
