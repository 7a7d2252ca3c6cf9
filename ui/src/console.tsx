import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { apiClient, describeError, type Api } from './api';
import { Activity, blockFromEvent, UNBLOCKING, type StreamBlock } from './live-state';
import { AgentsPage } from './pages/agents';
import { ApprovalsPage } from './pages/approvals';
import { AuditPage } from './pages/audit';
import { BoardPage } from './pages/board';
import { TaskPage } from './pages/task';
import { useRoute } from './route';
import { claimsOf } from './session';
import { followEvents, type StreamState } from './stream';
import type { OrchestratorEvent, Task, TaskPage as TaskPageBody, TaskSummary } from './types';

export interface Live {
  api: Api;
  tasks: TaskSummary[];
  loaded: boolean;
  loadError: string | null;
  streamBlocks: ReadonlyMap<string, StreamBlock>;
  activity: Activity;
  /** The last event seen: pages re-read what they show when it concerns them. */
  lastEvent: OrchestratorEvent | null;
}

const MAX_TASKS = 2000;

/** The signed-in console: one live event stream feeds every page. */
export function Console({ token, onSignOut }: { token: string; onSignOut: (reason?: string) => void }) {
  const expired = useCallback(
    () => onSignOut('The server no longer accepts that token: sign in again.'),
    [onSignOut],
  );
  const api = useMemo(() => apiClient(token, expired), [token, expired]);
  const route = useRoute();
  const tasks = useRef(new Map<string, TaskSummary>());
  const streamBlocks = useRef(new Map<string, StreamBlock>());
  const activity = useRef(new Activity());
  const pending = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const [, setVersion] = useState(0);
  const bump = useCallback(() => setVersion((v) => v + 1), []);
  const [loaded, setLoaded] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [streamState, setStreamState] = useState<StreamState>('connecting');
  const [lastEvent, setLastEvent] = useState<OrchestratorEvent | null>(null);

  const loadTasks = useCallback(async () => {
    try {
      const next = new Map<string, TaskSummary>();
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page: TaskPageBody = await api<TaskPageBody>('GET', `/api/v1/tasks?limit=500${query}`);
        for (const task of page.tasks) next.set(task.id, task);
        cursor = page.next_cursor;
      } while (cursor && next.size < MAX_TASKS);
      tasks.current = next;
      setLoadError(null);
      setLoaded(true);
      bump();
    } catch (e) {
      setLoadError(describeError(e));
    }
  }, [api, bump]);

  const loadActivity = useCallback(async () => {
    for (const type of ['task.transitioned', 'tool.denied']) {
      try {
        const page = await api<{ events: OrchestratorEvent[] }>(
          'GET',
          `/api/v1/events?type=${type}&limit=1000`,
        );
        for (const event of page.events) activity.current.record(event);
      } catch {
        // The chart then starts from the live events only.
      }
    }
    bump();
  }, [api, bump]);

  /** Re-reads one task after events about it (coalesced: one read per burst). */
  const refreshTask = useCallback(
    (id: string) => {
      if (pending.current.has(id)) return;
      pending.current.set(
        id,
        setTimeout(async () => {
          pending.current.delete(id);
          try {
            const task = await api<Task>('GET', `/api/v1/tasks/${encodeURIComponent(id)}`);
            const { artifacts: _a, approvals: _b, approval_requests: _c, history: _d, ...summary } = task;
            tasks.current.set(id, summary);
            bump();
          } catch {
            // Gone or unreadable: the next resync re-reads the list.
          }
        }, 150),
      );
    },
    [api, bump],
  );

  useEffect(() => {
    const abort = new AbortController();
    void followEvents(
      token,
      {
        onEvent: (event) => {
          activity.current.record(event);
          if (event.task_id) {
            const block = blockFromEvent(event);
            if (block) streamBlocks.current.set(event.task_id, block);
            else if (UNBLOCKING.has(event.type)) streamBlocks.current.delete(event.task_id);
            refreshTask(event.task_id);
          }
          setLastEvent(event);
        },
        onResync: () => {
          void loadTasks();
          void loadActivity();
        },
        onState: setStreamState,
        onUnauthorized: expired,
      },
      abort.signal,
    );
    return () => {
      abort.abort();
      for (const timer of pending.current.values()) clearTimeout(timer);
      pending.current.clear();
    };
  }, [token, loadTasks, loadActivity, refreshTask, expired]);

  const live: Live = {
    api,
    tasks: [...tasks.current.values()],
    loaded,
    loadError,
    streamBlocks: streamBlocks.current,
    activity: activity.current,
    lastEvent,
  };
  const who = claimsOf(token);
  const current = route.page;
  const link = (page: string, href: string, label: string) => (
    <li>
      <a href={href} aria-current={current === page ? 'page' : undefined}>
        {label}
      </a>
    </li>
  );
  return (
    <>
      <header class="container-fluid topbar">
        <nav>
          <ul>
            <li>
              <strong>Orchestrator</strong>
            </li>
            {link('board', '#/', 'Board')}
            {link('approvals', '#/approvals', 'Approvals')}
            {link('audit', '#/audit', 'Audit')}
            {link('agents', '#/agents', 'Agents')}
          </ul>
          <ul>
            <li>
              <span class={`stream stream-${streamState}`} data-testid="stream-state">
                {streamState === 'live'
                  ? '● live'
                  : streamState === 'connecting'
                    ? '○ connecting'
                    : '○ reconnecting'}
              </span>
            </li>
            <li>
              <small>
                {who.sub ?? 'operator'} ({who.role ?? '?'})
              </small>
            </li>
            <li>
              <button class="outline secondary small" onClick={() => onSignOut()}>
                Sign out
              </button>
            </li>
          </ul>
        </nav>
      </header>
      <main class="container-fluid">
        {route.page === 'board' && <BoardPage live={live} />}
        {route.page === 'task' && <TaskPage live={live} id={route.id} />}
        {route.page === 'approvals' && <ApprovalsPage live={live} />}
        {route.page === 'audit' && <AuditPage live={live} task={route.task} />}
        {route.page === 'agents' && <AgentsPage live={live} />}
      </main>
    </>
  );
}
