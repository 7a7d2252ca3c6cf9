import { useState } from 'preact/hooks';
import { describeError } from '../api';
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
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const decide = async (a: PendingApproval, decision: 'approve' | 'reject') => {
    const path = `/api/v1/tasks/${encodeURIComponent(a.task_id)}/gates/${encodeURIComponent(a.gate_id)}/${decision}`;
    try {
      // The digest names the artifacts listed here: a newer submission makes this a 409, not an approval.
      await live.api('POST', path, a.digest ? { digest: a.digest } : {});
      setResult({
        ok: true,
        text: `${decision === 'approve' ? 'Approved' : 'Rejected'} ${a.gate_id} of “${a.title}”`,
      });
      approvals.reload();
    } catch (e) {
      setResult({ ok: false, text: describeError(e) });
    }
  };
  return (
    <section>
      <hgroup>
        <h2>Approvals inbox</h2>
        <p>
          Gates waiting for an operator: open the task to review its artifacts (named by their digest), then
          approve or reject here or there.
        </p>
      </hgroup>
      <LoadState loaded={approvals} what="The approvals inbox" />
      {result && (
        <p class={result.ok ? 'ok' : 'error'} role="status" data-testid="inbox-result">
          {result.text}
        </p>
      )}
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
              <th>Decide</th>
            </tr>
          </thead>
          <tbody>
            {list.map((a) => (
              <tr key={`${a.task_id}-${a.gate_id}`} data-testid="inbox-row">
                <td>
                  <a href={taskHref(a.task_id)}>{a.title}</a>
                </td>
                <td>{a.gate_id}</td>
                <td>{a.phase}</td>
                <td>{a.requested_by}</td>
                <td>{time(a.requested_at)}</td>
                <td>{a.approvers.join(', ') || 'any operator'}</td>
                <td>
                  <div role="group">
                    <button class="small" onClick={() => decide(a, 'approve')} data-testid="inbox-approve">
                      Approve
                    </button>
                    <button class="small contrast" onClick={() => decide(a, 'reject')}>
                      Reject
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
