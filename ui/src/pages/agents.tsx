import { LoadState } from '../components/not-available';
import { time } from '../components/json-view';
import { useLoad } from '../components/use-load';
import type { Live } from '../console';
import { taskHref } from '../route';
import type { AgentView } from '../types';

/** Agents with their tasks, leases and recent denials (GET /api/v1/agents). */
export function AgentsPage({ live }: { live: Live }) {
  const tick = live.lastEvent && /^(task\.|tool\.denied)/.test(live.lastEvent.type) ? live.lastEvent.id : 0;
  const agents = useLoad(() => live.api<{ agents: AgentView[] }>('GET', '/api/v1/agents'), [tick]);
  const list = agents.data?.agents ?? [];
  return (
    <section>
      <hgroup>
        <h2>Agents</h2>
        <p>What each agent holds, when it was last seen, and its denials in the last hour.</p>
      </hgroup>
      <LoadState loaded={agents} what="The agents page" />
      {agents.data && list.length === 0 && <p class="muted">No agent has been seen.</p>}
      {list.length > 0 && (
        <table class="striped" data-testid="agents">
          <thead>
            <tr>
              <th>Agent</th>
              <th>Tasks</th>
              <th>Last seen</th>
              <th>Denials (1 h)</th>
              <th>Last denial</th>
            </tr>
          </thead>
          <tbody>
            {list.map((a) => (
              <tr key={a.agent_id}>
                <td>{a.agent_id}</td>
                <td>
                  {a.tasks.length === 0
                    ? '—'
                    : a.tasks.map((t) => (
                        <div key={t.task_id}>
                          <a href={taskHref(t.task_id)}>{t.title}</a>{' '}
                          <small>
                            {t.phase} · {t.status} · lease until {time(t.lease_expires_at)}
                          </small>
                        </div>
                      ))}
                </td>
                <td>{time(a.last_seen_at)}</td>
                <td>{a.recent_denials}</td>
                <td>
                  {a.last_denial
                    ? `${a.last_denial.tool_name}: ${a.last_denial.reason} (${time(a.last_denial.ts)})`
                    : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
