import { formatTable, wrapList } from '../../common/cli/text-table.js';
import { terminalSafe } from '../../common/cli/terminal-text.js';
import {
  type AgentView,
  type BlockedOn,
  type PendingApproval,
  type StreamedEvent,
  type StreamResyncData,
  type TaskDetail,
  type TaskPage,
} from './operator-api.types.js';

/**
 * Text for the terminal; `--json` prints the server's answers instead. Every answer goes through
 * `terminalSafe` first: titles, reasons and messages come from agents, and must neither draw table
 * rows of their own (newlines) nor reach the terminal as escape sequences.
 */
const dash = (value: string | null | undefined) =>
  value === null || value === undefined || value === '' ? '-' : value;

function clip(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/** What a task waits for: an approval, or its blockers; '-' when nothing. */
export function blockedLabel(blocked: BlockedOn | null | undefined): string {
  if (!blocked) return '-';
  if (blocked.approval_pending) return `approval ${blocked.gate_id ?? ''}`.trim();
  const count = blocked.blockers.length;
  return count === 1 ? clip(blocked.blockers[0], 40) : `${count} blockers`;
}

export function formatTaskPage(answer: TaskPage): string {
  const page = terminalSafe(answer);
  const table = formatTable(
    ['ID', 'STATUS', 'PHASE', 'TITLE', 'HOLDER', 'ATTEMPTS', 'BLOCKED ON', 'UPDATED'],
    page.tasks.map((t) => [
      t.id,
      t.status,
      t.phase,
      clip(t.title, 40),
      dash(t.holder),
      `${t.attempts}/${t.max_attempts}`,
      blockedLabel(t.blocked_on),
      t.updated_at,
    ]),
  );
  const more = page.next_cursor ? `; next page: --cursor ${page.next_cursor}` : '';
  return `${table}\n${page.tasks.length} of ${page.total} tasks${more}`;
}

export function formatTask(answer: TaskDetail): string {
  const task = terminalSafe(answer);
  const lease = task.lease_expires_at ? ` (lease until ${task.lease_expires_at})` : '';
  const beat = task.holder && task.last_heartbeat_at ? `, last heartbeat ${task.last_heartbeat_at}` : '';
  const fields: Array<[string, string]> = [
    ['title', task.title],
    ['status', task.status],
    ['phase', task.phase],
    ['workflow', `${task.workflow.name} ${task.workflow.version}`],
    ['holder', `${dash(task.holder)}${lease}${beat}`],
    ['attempts', `${task.attempts} of ${task.max_attempts}`],
    ['priority', String(task.priority)],
    ['capabilities', wrapList(task.capabilities, 60)],
    ['dependencies', wrapList(task.dependencies, 60)],
    ['created', task.created_at],
    ['updated', task.updated_at],
  ];
  if (task.retry_not_before) fields.push(['retry after', task.retry_not_before]);
  if (task.completed_at) fields.push(['completed', task.completed_at]);
  if (task.failure_reason) fields.push(['failure', task.failure_reason]);
  if (task.blocked_on) fields.push(['blocked on', blockedOnText(task.blocked_on)]);
  const artifacts = Object.entries(task.artifacts ?? {}).map(
    ([phase, set]) => `${phase}: ${Object.keys(set).join(', ')}`,
  );
  fields.push(['artifacts', artifacts.length ? artifacts.join('\n') : '-']);
  const width = Math.max(...fields.map(([k]) => k.length));
  const head = fields
    .map(([k, v]) => `${k.padEnd(width)}  ${v.replace(/\n/g, `\n${' '.repeat(width + 2)}`)}`)
    .join('\n');
  const sections = [`Task ${task.id}\n${head}`];
  if (task.blocked_on?.blocker_details.length) {
    sections.push(
      `Blockers (${task.blocked_on.phase} → ${task.blocked_on.to_phase}, ${task.blocked_on.at}):\n` +
        formatTable(
          ['CHECK', 'SEVERITY', 'GATE', 'MESSAGE'],
          task.blocked_on.blocker_details.map((b) => [b.check, b.severity, dash(b.gate), b.message]),
        ),
    );
  }
  const requests = task.approval_requests ?? [];
  if (requests.length) {
    sections.push(
      'Waiting for approval:\n' +
        formatTable(
          ['GATE', 'PHASE', 'DIGEST', 'ARTIFACTS', 'BY', 'AT'],
          requests.map((r) => [r.gate_id, r.phase, r.digest, wrapList(r.artifacts, 30), r.by, r.at]),
        ),
    );
  }
  if (task.approvals?.length) {
    sections.push(
      'Decisions:\n' +
        formatTable(
          ['GATE', 'PHASE', 'DECISION', 'BY', 'AT', 'COMMENT'],
          task.approvals.map((a) => [a.gate_id, a.phase, a.decision, a.by, a.at, dash(a.comment)]),
        ),
    );
  }
  if (task.history?.length) {
    sections.push(
      'History:\n' +
        formatTable(
          ['AT', 'ACTOR', 'ACTION', 'PHASE', 'STATUS', 'REASON'],
          task.history.map((h) => [
            h.at,
            h.actor,
            h.action,
            h.from_phase && h.from_phase !== h.to_phase ? `${h.from_phase} → ${h.to_phase}` : h.to_phase,
            h.from_status && h.from_status !== h.to_status
              ? `${h.from_status} → ${h.to_status}`
              : h.to_status,
            dash(h.reason),
          ]),
        ),
    );
  }
  return sections.join('\n\n');
}

function blockedOnText(b: BlockedOn): string {
  const what = b.approval_pending
    ? `approval of ${b.gate_id ?? 'a gate'} by ${b.approvers.join(', ') || 'an operator'}`
    : `${b.blockers.length} blocker${b.blockers.length === 1 ? '' : 's'}`;
  return `${what} (${b.phase} → ${b.to_phase}, ${b.at})`;
}

export function formatApprovals(answer: readonly PendingApproval[]): string {
  const approvals = terminalSafe(answer);
  const workflow = (w: PendingApproval['workflow']) => (typeof w === 'string' ? w : `${w.name} ${w.version}`);
  return `${formatTable(
    ['TASK', 'TITLE', 'WORKFLOW', 'PHASE', 'GATE', 'APPROVERS', 'REQUESTED', 'BY', 'DIGEST'],
    approvals.map((a) => [
      a.task_id,
      clip(a.title, 30),
      workflow(a.workflow),
      a.phase,
      a.gate_id,
      a.approvers.length ? wrapList(a.approvers, 30) : 'any operator',
      a.requested_at,
      a.requested_by,
      a.digest,
    ]),
  )}\n${approvals.length} pending approval${approvals.length === 1 ? '' : 's'}`;
}

export function formatAgents(
  answer: readonly AgentView[],
  denialsSince?: string,
  denialsTruncated?: boolean,
): string {
  const agents = terminalSafe(answer);
  const since = denialsSince === undefined ? undefined : terminalSafe(denialsSince);
  return `${formatTable(
    ['AGENT', 'TASKS', 'LAST SEEN', 'DENIALS (1H)', 'LAST DENIAL'],
    agents.map((a) => [
      a.agent_id,
      a.tasks.length ? a.tasks.map((t) => `${t.task_id} ${t.phase} ${t.status}`).join('\n') : '-',
      dash(a.last_seen_at),
      String(a.recent_denials),
      a.last_denial
        ? `${a.last_denial.ts} ${dash(a.last_denial.tool_name)}: ${clip(dash(a.last_denial.reason), 50)}`
        : '-',
    ]),
  )}\n${agents.length} agent${agents.length === 1 ? '' : 's'}${since ? `; denials since ${since}` : ''}${denialsTruncated ? ' (counts of the newest 1000 only)' : ''}`;
}

/** One line per event: id, time, type, task, actor, then the data as compact JSON (clipped). */
export function formatEventLine(streamed: StreamedEvent): string {
  const event = terminalSafe(streamed);
  return [
    String(event.id),
    event.at,
    event.type.padEnd(17),
    dash(event.task_id),
    dash(event.actor),
    clip(JSON.stringify(event.data ?? {}), 200),
  ].join('  ');
}

export function formatResyncLine(id: string | undefined, data: StreamResyncData): string {
  const resync = terminalSafe(data);
  return `${dash(terminalSafe(id))}  stream.resync  ${resync.reason}: ${resync.message}`;
}
