/** Wire shapes of the agent API (snake_case, as docs/API.md describes them). */
export type Artifacts = Record<string, unknown>;

export interface TaskView {
  id: string;
  title: string;
  status: string;
  phase: string;
  [field: string]: unknown;
}

export interface ClaimResult {
  task: TaskView;
  phase_token: string;
  phase: string;
  allowed_tools: string[];
  lease_expires_at: string;
  /** True when this is the task the agent already held, handed back with a fresh phase token. */
  resumed: boolean;
}

export interface TransitionResult {
  allowed: true;
  new_token: string;
  phase: string;
  allowed_tools: string[];
  warnings: unknown[];
  mode: string;
}

export interface CompletionResult {
  completed: true;
  task: TaskView;
}

export interface ToolDecision {
  allowed: boolean;
  reason: string;
  phase: string;
  tool: string;
  rule?: string;
  mode: string;
  would_deny: boolean;
}

export interface ToolExecution<R = Record<string, unknown>> {
  result: R;
  logged: boolean;
  duration_ms: number;
  phase: string;
}

export interface LeaseView {
  lease_expires_at?: string | null;
  [field: string]: unknown;
}

export interface StateSnapshot {
  task_id: string;
  current_phase: string;
  allowed_tools: string[];
  required_artifacts: unknown;
  artifacts_present: unknown;
  next_transitions: unknown;
  /** One line per blocker; the structured findings are in `blocker_details`. */
  blockers: string[];
  blocker_details: unknown[];
  [field: string]: unknown;
}
