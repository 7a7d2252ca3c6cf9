/**
 * The immutable, typed model of a workflow file (DESIGN.md §6). Pure data: everything here
 * serialises to JSON. The compiled runtime (Ajv validators, matchers, check functions) lives
 * in `workflow.runtime.ts` so the model can be shown over the API and in the CLI as is.
 */

export const ENFORCEMENT_MODES = ['strict', 'permissive', 'audit'] as const;
export type EnforcementMode = (typeof ENFORCEMENT_MODES)[number];

export const SEVERITIES = ['blocking', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const GATE_TYPES = ['approval', 'validation', 'review'] as const;
export type GateType = (typeof GATE_TYPES)[number];

/** Where something was written: 1-based line and column. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export const DECLARATIVE_OPS = [
  'exists',
  'not_exists',
  'equals',
  'not_equals',
  'gt',
  'gte',
  'lt',
  'lte',
  'min_items',
  'max_items',
  'matches',
] as const;
export type DeclarativeOp = (typeof DECLARATIVE_OPS)[number];

/** A rule written in YAML alone: compare the value at `pointer` inside `artifact`. */
export interface DeclarativeCheckSpec {
  readonly artifact: string;
  /** RFC 6901 JSON pointer into the artifact; '' is the whole artifact. */
  readonly pointer: string;
  readonly op: DeclarativeOp;
  readonly value?: unknown;
}

export interface BlockerSpec {
  /** A named check, or `declarative` when `declarative` is set. */
  readonly check: string;
  readonly declarative?: DeclarativeCheckSpec;
  readonly severity: Severity;
  readonly message?: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly location: SourceLocation;
}

export interface GateSpec {
  readonly id: string;
  readonly type: GateType;
  readonly description?: string;
  readonly blockers: readonly BlockerSpec[];
  readonly timeout_seconds?: number;
  /** Roles or subjects allowed to approve; enforced by whoever records approvals. */
  readonly approvers: readonly string[];
  readonly location: SourceLocation;
}

/** A schema is referenced by name (inline `schemas`, `schemas_dir`, or a file path). */
export interface RequiredArtifactSpec {
  readonly type: string;
  readonly schema?: string;
  readonly description?: string;
  readonly location: SourceLocation;
}

/**
 * Shell operators a command may use only when `allow_shell_operators` names them.
 * `$` is parameter expansion, `newline` an unquoted line break (a command separator).
 */
export const SHELL_OPERATORS = [
  ';',
  '&&',
  '||',
  '|',
  '|&',
  '&',
  ';;',
  '(',
  ')',
  '<(',
  '>(',
  '>',
  '>>',
  '>|',
  '&>',
  '>&',
  '<',
  '<&',
  '<<',
  '<<<',
  '`',
  '$(',
  '$',
  'newline',
] as const;
export type ShellOperator = (typeof SHELL_OPERATORS)[number];

export interface ToolConstraintSpec {
  readonly allowed_patterns: readonly string[];
  readonly forbidden_patterns: readonly string[];
  readonly allowed_commands: readonly string[];
  readonly forbidden_commands: readonly string[];
  /** `true` allows every operator; a list allows those only. Default: none. */
  readonly allow_shell_operators: boolean | readonly ShellOperator[];
  /** Argument keys holding paths for this tool; replaces the default keys when set. */
  readonly path_args?: readonly string[];
  /** Commands of this tool reach the network (their sandbox shares the host's). Default false. */
  readonly network: boolean;
  /** This tool may write under `.git/` (hooks, config); its commands see `.git` writable. Default false. */
  readonly allow_git_writes: boolean;
  readonly location: SourceLocation;
}

export interface PhaseSpec {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  readonly allowed_tools: readonly string[];
  readonly forbidden_tools: readonly string[];
  readonly required_artifacts: readonly RequiredArtifactSpec[];
  readonly gates: readonly GateSpec[];
  readonly tool_constraints: Readonly<Record<string, ToolConstraintSpec>>;
  readonly location: SourceLocation;
}

export interface TransitionSpec {
  readonly from: string;
  readonly to: string;
  readonly gate?: string;
  readonly requires_token: boolean;
  readonly description?: string;
  readonly location: SourceLocation;
}

export interface PhaseTokenSettings {
  readonly enabled: boolean;
  readonly algorithm?: string;
  readonly secret_env_var?: string;
  readonly expiry_seconds?: number;
}

export interface EnforcementSpec {
  readonly mode: EnforcementMode;
  /** As written, e.g. `advisory` (an alias of `audit`). */
  readonly declared_mode: string;
  readonly phase_tokens: PhaseTokenSettings;
}

/**
 * Something a workflow file says that loads but will not do what its author may expect (an
 * unknown warning-level check, an approver naming no one). Shown at load and by `validate`.
 */
export interface LoadWarning extends SourceLocation {
  readonly message: string;
  readonly fix?: string;
}

/** A key the engine keeps but does not act on (e.g. the earlier format's `triggers`). */
export interface UnenforcedKey {
  /** Dotted path, e.g. `phases[1].auto_advance`. */
  readonly path: string;
  readonly location: SourceLocation;
  readonly value: unknown;
}

export interface WorkflowDefinition {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly phases: readonly PhaseSpec[];
  readonly transitions: readonly TransitionSpec[];
  readonly enforcement: EnforcementSpec;
  /** Every schema available to artifacts, inline or from `schemas_dir`, by name. */
  readonly schemas: Readonly<Record<string, SchemaSource>>;
  readonly schemas_dir?: string;
  readonly unenforced: readonly UnenforcedKey[];
  readonly warnings: readonly LoadWarning[];
  readonly file: string;
}

export interface SchemaSource {
  readonly name: string;
  readonly schema: unknown;
  readonly location: SourceLocation;
}
