import { agentsView, type AgentDenial } from './agents-view.js';
import { type Task } from './task.model.js';

const task = (over: Partial<Task>): Task =>
  ({
    id: 't1',
    title: 'T',
    phase: 'IMPL',
    status: 'claimed',
    holder: 'agent-b',
    lease_expires_at: '2026-01-01T01:00:00.000Z',
    history: [],
    ...over,
  }) as unknown as Task;

const denial = (over: Partial<AgentDenial>): AgentDenial => ({
  ts: '2026-01-01T00:10:00.000Z',
  actor: 'agent-a',
  task_id: 't9',
  tool: 'bash',
  reason: 'bash is not allowed in PLAN',
  ...over,
});

describe('agentsView', () => {
  it('groups held tasks and denials by agent, sorted by id, the newest denial first', () => {
    const held = [
      task({
        id: 't1',
        holder: 'agent-b',
        last_heartbeat_at: '2026-01-01T00:20:00.000Z',
        history: [
          { at: '2026-01-01T00:05:00.000Z', actor: 'agent-b', action: 'claimed' },
          { at: '2026-01-01T00:30:00.000Z', actor: 'op', action: 'approval_recorded' },
        ] as unknown as Task['history'],
      }),
      task({ id: 't2', holder: 'agent-c', history: [] }),
    ];
    const denials = [
      denial({ ts: '2026-01-01T00:40:00.000Z', actor: 'agent-a', tool: 'write_files' }),
      denial({ ts: '2026-01-01T00:10:00.000Z', actor: 'agent-a' }),
      denial({ ts: '2026-01-01T00:15:00.000Z', actor: 'agent-b' }),
    ];
    const view = agentsView(held, denials);
    expect(view.map((a) => a.agent_id)).toEqual(['agent-a', 'agent-b', 'agent-c']);
    expect(view[0]).toEqual({
      agent_id: 'agent-a',
      tasks: [],
      last_seen_at: '2026-01-01T00:40:00.000Z',
      recent_denials: 2,
      last_denial: {
        ts: '2026-01-01T00:40:00.000Z',
        task_id: 't9',
        tool_name: 'write_files',
        reason: 'bash is not allowed in PLAN',
      },
    });
    // The operator's line is not the agent's sign of life; its heartbeat is.
    expect(view[1]).toMatchObject({
      tasks: [
        {
          task_id: 't1',
          title: 'T',
          phase: 'IMPL',
          status: 'claimed',
          lease_expires_at: '2026-01-01T01:00:00.000Z',
          last_heartbeat_at: '2026-01-01T00:20:00.000Z',
        },
      ],
      last_seen_at: '2026-01-01T00:20:00.000Z',
      recent_denials: 1,
    });
    expect(view[2]).toMatchObject({ last_seen_at: null, recent_denials: 0, last_denial: null });
    expect(view[2]!.tasks[0]!.last_heartbeat_at).toBeNull();
  });

  it('leaves out tasks that are not claimed', () => {
    expect(agentsView([task({ status: 'queued', holder: null })], [])).toEqual([]);
  });
});
