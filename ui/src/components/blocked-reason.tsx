import type { StreamBlock } from '../live-state';
import type { BlockedOn, TaskSummary } from '../types';

export interface Reason {
  approval: boolean;
  gate: string | null;
  text: string;
  count: number;
}

/** Why a task is stuck: the API's blocked_on when the server has it, else the last gate.blocked seen. */
export function blockedReason(task: TaskSummary, fromStream: StreamBlock | undefined): Reason | null {
  if (task.status !== 'claimed' && task.status !== 'queued') return null;
  const blocked: BlockedOn | null | undefined = task.blocked_on;
  if (blocked) {
    const others = blocked.blocker_details.filter((b) => b.check !== 'approval_required');
    if (blocked.approval_pending && others.length === 0) {
      return {
        approval: true,
        gate: blocked.gate_id,
        text: `awaiting approval of ${blocked.gate_id ?? 'a gate'}`,
        count: 1,
      };
    }
    const first = others[0]?.message ?? blocked.blockers[0] ?? 'blocked';
    return {
      approval: blocked.approval_pending,
      gate: blocked.gate_id,
      text: first,
      count: blocked.blockers.length,
    };
  }
  if (task.blocked_on === undefined && fromStream) {
    const others = fromStream.blockers.filter((b) => b.check !== 'approval_required');
    const approval = fromStream.blockers.some((b) => b.check === 'approval_required');
    if (approval && others.length === 0) {
      return {
        approval: true,
        gate: fromStream.gate,
        text: `awaiting approval of ${fromStream.gate ?? 'a gate'}`,
        count: 1,
      };
    }
    return {
      approval,
      gate: fromStream.gate,
      text: others[0]?.message ?? 'blocked',
      count: fromStream.blockers.length,
    };
  }
  return null;
}

export function BlockedReason({ reason }: { reason: Reason }) {
  return (
    <p class={reason.approval ? 'blocked approval' : 'blocked'} data-testid="blocked-reason">
      <strong>{reason.approval ? 'Waiting: ' : 'Blocked: '}</strong>
      {reason.text}
      {reason.count > 1 && <small> (+{reason.count - 1} more)</small>}
    </p>
  );
}
