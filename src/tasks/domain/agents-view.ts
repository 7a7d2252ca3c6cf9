import { type Task } from './task.model.js';

/** A denial of an agent's request, as the audit log recorded it. */
export interface AgentDenial {
  readonly ts: string;
  readonly actor: string;
  readonly task_id: string | null;
  readonly tool: string | null;
  readonly reason: string | null;
}

export interface HeldTaskView {
  readonly task_id: string;
  readonly title: string;
  readonly phase: string;
  readonly status: string;
  readonly lease_expires_at: string | null;
  readonly last_heartbeat_at: string | null;
}

export interface AgentView {
  readonly agent_id: string;
  readonly tasks: HeldTaskView[];
  readonly last_seen_at: string | null;
  readonly recent_denials: number;
  readonly last_denial: {
    readonly ts: string;
    readonly task_id: string | null;
    readonly tool_name: string | null;
    readonly reason: string | null;
  } | null;
}

/**
 * Who holds what, and who was denied lately (issue 20): one view per agent that holds a claimed
 * task or has a denial among `denials` (newest first), by agent id. `last_seen_at` is the latest
 * sign of the agent the inputs show: its history lines and heartbeats on the tasks it holds, and
 * its denials.
 */
export function agentsView(held: readonly Task[], denials: readonly AgentDenial[]): AgentView[] {
  const agents = new Map<string, { tasks: Task[]; denials: AgentDenial[] }>();
  const of = (id: string) => {
    let agent = agents.get(id);
    if (!agent) agents.set(id, (agent = { tasks: [], denials: [] }));
    return agent;
  };
  for (const task of held) if (task.status === 'claimed' && task.holder) of(task.holder).tasks.push(task);
  for (const denial of denials) of(denial.actor).denials.push(denial);
  return [...agents.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, { tasks, denials: denied }]) => {
      const last = denied[0] ?? null;
      return {
        agent_id: id,
        tasks: tasks.map(heldTaskView),
        last_seen_at: latest([...tasks.flatMap((t) => signsOf(t, id)), ...denied.map((d) => d.ts)]),
        recent_denials: denied.length,
        last_denial: last && {
          ts: last.ts,
          task_id: last.task_id,
          tool_name: last.tool,
          reason: last.reason,
        },
      };
    });
}

function heldTaskView(task: Task): HeldTaskView {
  return {
    task_id: task.id,
    title: task.title,
    phase: task.phase,
    status: task.status,
    lease_expires_at: task.lease_expires_at,
    last_heartbeat_at: task.last_heartbeat_at ?? null,
  };
}

function signsOf(task: Task, agentId: string): string[] {
  const signs = task.history.filter((h) => h.actor === agentId).map((h) => h.at);
  if (task.last_heartbeat_at) signs.push(task.last_heartbeat_at);
  return signs;
}

/** The latest of ISO times (they compare as strings), or null for none. */
function latest(times: readonly string[]): string | null {
  return times.reduce<string | null>((max, t) => (max === null || t > max ? t : max), null);
}
