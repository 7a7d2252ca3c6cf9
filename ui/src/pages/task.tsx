import { useState } from 'preact/hooks';
import { describeError } from '../api';
import { BlockedReason, blockedReason } from '../components/blocked-reason';
import { JsonView, time } from '../components/json-view';
import { useLoad } from '../components/use-load';
import type { Live } from '../console';
import type { ApprovalRequest, AuditPage, Task } from '../types';

/** One task: actions, what it waits for, pending approvals, its timeline, artifacts and audited decisions. */
export function TaskPage({ live, id }: { live: Live; id: string }) {
  const path = `/api/v1/tasks/${encodeURIComponent(id)}`;
  const relevant = live.lastEvent?.task_id === id ? live.lastEvent.id : 0;
  const task = useLoad(() => live.api<Task>('GET', path), [id, relevant]);
  const audit = useLoad(
    () => live.api<AuditPage>('GET', `/api/v1/audit/query?task_id=${encodeURIComponent(id)}&limit=200`),
    [id, relevant],
  );
  const [comment, setComment] = useState('');
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const t = task.data;
  if (task.error && !t) {
    return (
      <p class="error" role="alert">
        {task.error}
      </p>
    );
  }
  if (!t) return <p aria-busy="true">Loading task…</p>;

  const act = async (label: string, action: string, body: Record<string, unknown>) => {
    try {
      await live.api('POST', `${path}/${action}`, body);
      setResult({ ok: true, text: `${label}: done` });
      setComment('');
      task.reload();
      audit.reload();
    } catch (e) {
      setResult({ ok: false, text: `${label}: ${describeError(e)}` });
    }
  };
  const withComment = () => (comment.trim() ? { comment: comment.trim() } : {});
  const pendingRequests = t.approval_requests.filter(
    (r) =>
      r.phase === t.phase &&
      !t.approvals.some((a) => a.gate_id === r.gate_id && a.phase === r.phase && a.digest === r.digest),
  );
  const active = t.status === 'queued' || t.status === 'claimed';
  const reason = blockedReason(t, live.streamBlocks.get(t.id));
  const toolEntries = (audit.data?.entries ?? []).filter((e) => e.action.startsWith('tool.'));
  const phases = Object.keys(t.artifacts);
  return (
    <section class="task-page" data-testid="task-page">
      <p>
        <a href="#/">← Board</a>
      </p>
      <hgroup>
        <h2 data-testid="task-title">{t.title}</h2>
        <p>
          <mark class={`phase phase-${t.phase}`}>{t.phase}</mark>{' '}
          <strong data-testid="task-status">{t.status}</strong> · {t.holder ?? 'unassigned'} · attempt{' '}
          {t.attempts}/{t.max_attempts} · {t.workflow.name} {t.workflow.version} · <code>{t.id}</code>
        </p>
      </hgroup>
      {t.description && <p class="description">{t.description}</p>}
      {t.failure_reason && <p class="blocked">Failed: {t.failure_reason}</p>}

      <article>
        <header>Decide</header>
        <label>
          Comment (recorded with the decision)
          <textarea
            rows={2}
            value={comment}
            onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)}
            data-testid="comment"
          />
        </label>
        {pendingRequests.map((request) => (
          <PendingRequest
            key={`${request.gate_id}-${request.digest}`}
            request={request}
            onApprove={() =>
              act(`Approve ${request.gate_id}`, `gates/${encodeURIComponent(request.gate_id)}/approve`, {
                ...withComment(),
                digest: request.digest,
              })
            }
            onReject={() =>
              act(`Reject ${request.gate_id}`, `gates/${encodeURIComponent(request.gate_id)}/reject`, {
                ...withComment(),
                digest: request.digest,
              })
            }
          />
        ))}
        <div role="group">
          <button class="secondary" disabled={!active} onClick={() => act('Cancel', 'cancel', withComment())}>
            Cancel task
          </button>
          <button
            class="secondary outline"
            disabled={t.status !== 'failed' && t.status !== 'cancelled'}
            onClick={() => act('Requeue', 'requeue', comment.trim() ? { reason: comment.trim() } : {})}
          >
            Requeue
          </button>
        </div>
        {result && (
          <p class={result.ok ? 'ok' : 'error'} role="status" data-testid="action-result">
            {result.text}
          </p>
        )}
      </article>

      <article>
        <header>Blocked on</header>
        {reason ? <BlockedReason reason={reason} /> : <p class="muted">Nothing known.</p>}
        {t.blocked_on && t.blocked_on.blocker_details.length > 0 && (
          <ul>
            {t.blocked_on.blocker_details.map((b, i) => (
              <li key={i}>
                <code>{b.check ?? '?'}</code> {b.message ?? ''} {b.detail && <small>({b.detail})</small>}
              </li>
            ))}
          </ul>
        )}
        {t.blocked_on === undefined && (
          <small class="muted">
            blocked_on is not available on this server: showing the last gate.blocked event seen.
          </small>
        )}
      </article>

      <article>
        <header>Approvals</header>
        {t.approvals.length === 0 ? (
          <p class="muted">None yet.</p>
        ) : (
          <ul>
            {t.approvals.map((a, i) => (
              <li key={i}>
                <strong>{a.decision}</strong> {a.gate_id} ({a.phase}) by {a.by} at {time(a.at)}
                {a.comment && <q>{a.comment}</q>}
              </li>
            ))}
          </ul>
        )}
      </article>

      <article>
        <header>Timeline</header>
        <ol class="timeline" data-testid="timeline">
          {t.history.map((h, i) => (
            <li key={i}>
              <time>{time(h.at)}</time> <strong>{h.action}</strong>{' '}
              {h.from_phase && h.from_phase !== h.to_phase ? `${h.from_phase} → ` : ''}
              {h.to_phase} · {h.to_status} · <small>{h.actor}</small>
              {h.reason && <div class="reason">{h.reason}</div>}
            </li>
          ))}
        </ol>
      </article>

      <article>
        <header>Artifacts</header>
        {phases.length === 0 && <p class="muted">None handed in.</p>}
        {phases.map((phase) => (
          <details key={phase} open={phase === t.phase}>
            <summary>
              {phase} <small>({Object.keys(t.artifacts[phase] ?? {}).join(', ')})</small>
            </summary>
            <JsonView value={t.artifacts[phase]} />
          </details>
        ))}
      </article>

      <article>
        <header>Tool decisions (audit log)</header>
        {audit.error && <p class="error">{audit.error}</p>}
        {toolEntries.length === 0 ? (
          <p class="muted">No tool calls audited.</p>
        ) : (
          <table class="striped">
            <thead>
              <tr>
                <th>Time</th>
                <th>Tool</th>
                <th>Decision</th>
                <th>Phase</th>
                <th>Reason</th>
              </tr>
            </thead>
            <tbody>
              {toolEntries.map((e) => (
                <tr key={e.seq} class={e.success ? '' : 'denied'}>
                  <td>{time(e.ts)}</td>
                  <td>{e.tool ?? e.tool_name ?? '—'}</td>
                  <td>{e.decision}</td>
                  <td>{e.phase ?? '—'}</td>
                  <td>{e.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p>
          <a href={`#/audit/${encodeURIComponent(t.id)}`}>All audit entries of this task →</a>
        </p>
      </article>
    </section>
  );
}

function PendingRequest({
  request,
  onApprove,
  onReject,
}: {
  request: ApprovalRequest;
  onApprove: () => void;
  onReject: () => void;
}) {
  return (
    <div class="pending" data-testid="pending-approval">
      <p>
        Gate <strong>{request.gate_id}</strong> waits for a decision on{' '}
        {request.artifacts.join(', ') || 'the artifacts'} handed in by {request.by} at {time(request.at)}{' '}
        <small>
          <code>{request.digest}</code>
        </small>
      </p>
      <div role="group">
        <button onClick={onApprove} data-testid="approve">
          Approve {request.gate_id}
        </button>
        <button class="contrast" onClick={onReject} data-testid="reject">
          Reject
        </button>
      </div>
    </div>
  );
}
