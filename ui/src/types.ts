/** The API's shapes the console reads (docs/API.md); every string in them may come from an agent. */
export interface Finding {
  check?: string;
  severity?: string;
  gate?: string;
  artifact?: string;
  message?: string;
  detail?: string;
  digest?: string;
}

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
  description: string;
  workflow: { name: string; version: string };
  phase: string;
  status: string;
  holder: string | null;
  priority: number;
  attempts: number;
  max_attempts: number;
  lease_expires_at: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  failure_reason: string | null;
  /** From the operator API (issue 20); absent on servers before it. */
  blocked_on?: BlockedOn | null;
}

export interface Approval {
  gate_id: string;
  phase: string;
  decision: string;
  by: string;
  comment: string | null;
  at: string;
  digest?: string;
}

export interface ApprovalRequest {
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

export interface Task extends TaskSummary {
  artifacts: Record<string, Record<string, unknown>>;
  approvals: Approval[];
  approval_requests: ApprovalRequest[];
  history: HistoryEntry[];
}

export interface TaskPage {
  tasks: TaskSummary[];
  total: number;
  next_cursor: string | null;
}

export interface OrchestratorEvent {
  id: number;
  type: string;
  at: string;
  task_id?: string;
  actor?: string;
  data: Record<string, unknown>;
}

export interface AuditEntry {
  seq: number;
  ts: string;
  actor: string;
  role: string | null;
  action: string;
  decision: string;
  success: boolean;
  task_id: string | null;
  phase: string | null;
  tool: string | null;
  tool_name?: string | null;
  args: unknown;
  reason: string | null;
  blockers: unknown;
  details: unknown;
}

export interface AuditPage {
  entries: AuditEntry[];
  next_cursor: string | null;
  total?: number;
}

export interface AuditVerify {
  valid: boolean;
  entries: number;
  first_seq: number | null;
  last_seq: number | null;
  signatures_checked?: boolean;
  error?: string | null;
  break_seq?: number | null;
}

export interface PendingApproval {
  task_id: string;
  title: string;
  workflow: string | { name: string; version: string };
  phase: string;
  gate_id: string;
  approvers: string[];
  requested_at: string;
  requested_by: string;
  digest?: string;
  artifacts?: string[];
}

export interface AgentView {
  agent_id: string;
  tasks: Array<{
    task_id: string;
    title: string;
    phase: string;
    status: string;
    lease_expires_at: string | null;
    last_heartbeat_at: string | null;
  }>;
  last_seen_at: string | null;
  recent_denials: number;
  last_denial: null | { ts: string; task_id: string; tool_name: string; reason: string };
}
