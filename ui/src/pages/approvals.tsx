import { LoadState } from '../components/not-available';
import { time } from '../components/json-view';
import { useLoad } from '../components/use-load';
import type { Live } from '../console';
import { taskHref } from '../route';
import type { PendingApproval } from '../types';

/** Every approval requested and not yet decided (GET /api/v1/approvals); re-read on gate events. */
export function ApprovalsPage({ live }: { live: Live }) {
  const gateEvent =
    live.lastEvent && (live.lastEvent.type.startsWith('gate.') || live.lastEvent.type.startsWith('task.'))
      ? live.lastEvent.id
      : 0;
  const approvals = useLoad(
    () => live.api<{ approvals: PendingApproval[] }>('GET', '/api/v1/approvals'),
    [gateEvent],
  );
  const list = approvals.data?.approvals ?? [];
  return (
    <section>
      <hgroup>
        <h2>Approvals inbox</h2>
        <p>Gates waiting for an operator: open the task to review its artifacts, then approve or reject.</p>
      </hgroup>
      <LoadState loaded={approvals} what="The approvals inbox" />
      {approvals.data && list.length === 0 && <p class="muted">Nothing waits for a decision.</p>}
      {list.length > 0 && (
        <table class="striped" data-testid="approvals">
          <thead>
            <tr>
              <th>Task</th>
              <th>Gate</th>
              <th>Phase</th>
              <th>Requested by</th>
              <th>At</th>
              <th>Approvers</th>
            </tr>
          </thead>
          <tbody>
            {list.map((a) => (
              <tr key={`${a.task_id}-${a.gate_id}`}>
                <td>
                  <a href={taskHref(a.task_id)}>{a.title}</a>
                </td>
                <td>{a.gate_id}</td>
                <td>{a.phase}</td>
                <td>{a.requested_by}</td>
                <td>{time(a.requested_at)}</td>
                <td>{a.approvers.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
