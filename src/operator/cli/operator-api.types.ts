/**
 * What the operator API answers, as far as the operator CLI reads it (docs/API.md, "Operator
 * API"). Fields the CLI does not show are kept (`--json` prints the answer as it came).
 */
export interface Finding {
  check: string;
  severity: string;
  message: string;
  gate?: string;
  [field: string]: unknown;
}

/** The last blocked attempt of a task (cleared when it moves on); null when none. */
export interface BlockedOn {
  at: string;
  phase: string;
  to_phase: string;
  gate_id: string | null;
  approval_pending: boolean;
  approvers: string[];
  blockers: string[];
  blocker_details: Finding[];
}

export interface TaskSummary {
  id: string;
  title: string;
  status: string;
  phase: string;
  holder: string | null;
  attempts: number;
  max_attempts: number;
  priority: number;
  workflow: { name: string; version: string };
  capabilities: string[];
  dependencies: string[];
  lease_expires_at: string | null;
  retry_not_before: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  failure_reason: string | null;
  /** Absent on servers before the operator API of issue 20. */
  blocked_on?: BlockedOn | null;
  /** The holder's last heartbeat or resume in this attempt (null before the first). */
  last_heartbeat_at?: string | null;
  [field: string]: unknown;
}

export interface ApprovalRecord {
  gate_id: string;
  phase: string;
  decision: string;
  by: string;
  comment: string | null;
  at: string;
  digest?: string;
  artifacts?: string[];
}

export interface ApprovalRequestRecord {
  gate_id: string;
  phase: string;
  digest: string;
  artifacts: string[];
  by: string;
  at: string;
}

export interface HistoryEntry {
  at: string;
  actor: string;
  action: string;
  from_phase: string | null;
  to_phase: string;
  from_status: string | null;
  to_status: string;
  reason: string | null;
}

export interface TaskDetail extends TaskSummary {
  description: string;
  artifacts: Record<string, Record<string, unknown>>;
  approvals: ApprovalRecord[];
  approval_requests: ApprovalRequestRecord[];
  history: HistoryEntry[];
}

export interface TaskPage {
  tasks: TaskSummary[];
  total: number;
  next_cursor: string | null;
}

/** An approval that is requested and not yet decided (`GET /api/v1/approvals`). */
export interface PendingApproval {
  task_id: string;
  title: string;
  workflow: string | { name: string; version: string };
  phase: string;
  gate_id: string;
  approvers: string[];
  requested_at: string;
  requested_by: string;
  /** What `tasks approve --digest` names: the artifacts waiting for the decision. */
  digest: string;
  artifacts: string[];
}

export interface AgentTask {
  task_id: string;
  title: string;
  phase: string;
  status: string;
  lease_expires_at: string | null;
  last_heartbeat_at: string | null;
}

/** An agent as `GET /api/v1/agents` shows it; `recent_denials` counts the last hour. */
export interface AgentView {
  agent_id: string;
  tasks: AgentTask[];
  last_seen_at: string | null;
  recent_denials: number;
  last_denial: null | { ts: string; task_id: string | null; tool_name: string | null; reason: string | null };
}

/** One event of `GET /api/v1/events/stream`. */
export interface StreamedEvent {
  id: number;
  type: string;
  at: string;
  task_id?: string;
  actor?: string;
  data: Record<string, unknown>;
}

/** The `stream.resync` event: the cursor could not be served; re-read state, continue after `head_id`. */
export interface StreamResyncData {
  type: 'stream.resync';
  reason: string;
  message: string;
  last_event_id: number;
  oldest_id: number | null;
  head_id: number;
}
