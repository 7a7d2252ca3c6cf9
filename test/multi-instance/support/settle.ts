import { type api } from '../../support/api.js';
import { sleep } from './agents.js';

type Http = ReturnType<typeof api>;

interface ListedTask {
  id: string;
  status: string;
  dependencies: string[];
}

async function listAll(http: Http, token: string, status: string): Promise<ListedTask[]> {
  const tasks: ListedTask[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await http.get<{ tasks: ListedTask[]; next_cursor?: string | null }>(
      `/api/v1/tasks?status=${status}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      token,
    );
    if (page.status !== 200)
      throw new Error(`GET /api/v1/tasks: ${page.status} ${JSON.stringify(page.body)}`);
    tasks.push(...page.body.tasks);
    if (!page.body.next_cursor) return tasks;
    cursor = page.body.next_cursor;
  }
}

/**
 * Waits until no task is queued or claimed. A queued task whose dependency ended failed or
 * cancelled can never run: an operator cancels it, as one would (the cancels are returned, they
 * are changes like the agents'). Throws after `timeoutMs`.
 */
export async function settle(
  http: Http,
  operator: string,
  timeoutMs: number,
): Promise<{ cancelled: string[]; pollMs: number }> {
  const cancelled: string[] = [];
  const started = Date.now();
  // Terminal statuses never change: each dependency is read until it ends, not at every poll.
  const ended = new Map<string, string>();
  for (;;) {
    const queued = await listAll(http, operator, 'queued');
    const claimed = await listAll(http, operator, 'claimed');
    if (queued.length === 0 && claimed.length === 0) return { cancelled, pollMs: Date.now() - started };
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `tasks not settled after ${timeoutMs} ms: ${queued.length} queued, ${claimed.length} claimed`,
      );
    }
    const open = new Set([...queued, ...claimed].map((t) => t.id));
    for (const id of new Set(queued.flatMap((t) => t.dependencies))) {
      if (ended.has(id) || open.has(id)) continue;
      const res = await http.get<{ status: string }>(`/api/v1/tasks/${id}`, operator);
      if (['completed', 'failed', 'cancelled'].includes(res.body.status)) ended.set(id, res.body.status);
    }
    const dead = (id: string) => ended.get(id) === 'failed' || ended.get(id) === 'cancelled';
    for (const task of queued.filter((t) => t.dependencies.some(dead))) {
      const res = await http.post(`/api/v1/tasks/${task.id}/cancel`, operator, {
        comment: 'a dependency ended without completing',
      });
      if (res.status === 200) {
        cancelled.push(task.id);
        ended.set(task.id, 'cancelled');
      }
    }
    await sleep(250);
  }
}
