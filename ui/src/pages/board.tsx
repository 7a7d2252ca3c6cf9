import { useState } from 'preact/hooks';
import { ActivityChart } from '../components/activity-chart';
import { BlockedReason, blockedReason } from '../components/blocked-reason';
import type { Live } from '../console';
import { taskHref } from '../route';

const COLUMNS = ['queued', 'claimed', 'completed', 'failed', 'cancelled'] as const;
const PHASE_ORDER = ['PLAN', 'TDD', 'IMPL', 'REVIEW', 'COMPLETE'];

/** Every task by status, each card with its phase, holder and what it is blocked on; live. */
export function BoardPage({ live }: { live: Live }) {
  const [text, setText] = useState('');
  const [phase, setPhase] = useState('');
  const [holder, setHolder] = useState('');
  const [blockedOnly, setBlockedOnly] = useState(false);
  const phases = [...new Set(live.tasks.map((t) => t.phase))].sort(
    (a, b) => (PHASE_ORDER.indexOf(a) + 1 || 99) - (PHASE_ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b),
  );
  const needle = text.trim().toLowerCase();
  const shown = live.tasks
    .map((task) => ({ task, reason: blockedReason(task, live.streamBlocks.get(task.id)) }))
    .filter(({ task, reason }) => {
      if (phase && task.phase !== phase) return false;
      if (holder && !(task.holder ?? '').toLowerCase().includes(holder.trim().toLowerCase())) return false;
      if (blockedOnly && !reason) return false;
      return !needle || task.title.toLowerCase().includes(needle) || task.id.startsWith(needle);
    })
    .sort((a, b) => b.task.updated_at.localeCompare(a.task.updated_at));
  return (
    <section>
      <div class="board-head">
        <hgroup>
          <h2>Board</h2>
          <p>
            {live.loaded ? `${shown.length} of ${live.tasks.length} tasks` : 'Loading tasks…'}, updated live
            from the event stream
          </p>
        </hgroup>
        <ActivityChart activity={live.activity} />
      </div>
      {live.loadError && (
        <p class="error" role="alert">
          {live.loadError}
        </p>
      )}
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <input
          type="search"
          placeholder="Title or id"
          aria-label="Filter by title or id"
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
        <select
          aria-label="Phase"
          value={phase}
          onChange={(e) => setPhase((e.target as HTMLSelectElement).value)}
        >
          <option value="">All phases</option>
          {phases.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        <input
          type="search"
          placeholder="Agent"
          aria-label="Filter by agent"
          value={holder}
          onInput={(e) => setHolder((e.target as HTMLInputElement).value)}
        />
        <label>
          <input
            type="checkbox"
            role="switch"
            checked={blockedOnly}
            onChange={(e) => setBlockedOnly((e.target as HTMLInputElement).checked)}
          />
          Blocked only
        </label>
      </form>
      <div class="board">
        {COLUMNS.map((status) => {
          const cards = shown.filter(({ task }) => task.status === status);
          return (
            <section class="column" key={status} data-status={status} data-testid={`column-${status}`}>
              <h3>
                {status} <small>{cards.length}</small>
              </h3>
              {cards.map(({ task, reason }) => (
                <article class="card" key={task.id} data-task-id={task.id} data-testid="task-card">
                  <a href={taskHref(task.id)} class="card-title">
                    {task.title}
                  </a>
                  <p class="card-meta">
                    <mark class={`phase phase-${task.phase}`}>{task.phase}</mark>{' '}
                    <small>{task.holder ?? 'unassigned'}</small>{' '}
                    <small class="muted">{task.id.slice(0, 8)}</small>
                  </p>
                  {reason && <BlockedReason reason={reason} />}
                  {task.failure_reason && <p class="blocked">{task.failure_reason}</p>}
                </article>
              ))}
            </section>
          );
        })}
      </div>
    </section>
  );
}
