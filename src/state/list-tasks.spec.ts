import fc from 'fast-check';
import { ManualClock } from '../common/domain/clock.js';
import { SequentialIds } from '../common/domain/ids.js';
import { createTask } from '../tasks/domain/task-factory.js';
import { TASK_STATUSES, type Task, type TaskStatus } from '../tasks/domain/task.model.js';
import { StateIndex } from './index/state-index.js';
import type { StateOp } from './index/state-op.js';
import { listTasks } from './list-tasks.js';
import type { TaskListQuery, TaskPage } from './state.repository.js';
import { decodeCursor, encodeCursor } from './task-cursor.js';

const PHASES = ['PLAN', 'BUILD'] as const;
const AGENTS = ['a1', 'a2'] as const;

type Step =
  | { kind: 'create' }
  | { kind: 'change'; pick: number; status: TaskStatus; phase: string; holder: string | null }
  | { kind: 'delete'; pick: number }
  | { kind: 'undoCreate' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('create' as const) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('change' as const),
      pick: fc.nat(),
      status: fc.constantFrom(...TASK_STATUSES),
      phase: fc.constantFrom(...PHASES),
      holder: fc.constantFrom(null, ...AGENTS),
    }),
  },
  // Deleting any task (not only the newest) moves every later task down one position.
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('undoCreate' as const) }),
);

const query: fc.Arbitrary<TaskListQuery & { cursorAt?: number }> = fc.record(
  {
    status: fc.constantFrom(...TASK_STATUSES),
    phase: fc.constantFrom(...PHASES, 'NONE'),
    agentId: fc.constantFrom(...AGENTS),
    limit: fc.oneof(fc.integer({ min: -1, max: 12 }), fc.constantFrom(1.5, 2000)),
    offset: fc.oneof(fc.integer({ min: -1, max: 40 }), fc.constant(2.5)),
    cursorAt: fc.integer({ min: 0, max: 45 }),
  },
  { requiredKeys: [] },
);

/** The reference: filter every task in creation order, as listing did before it was indexed. */
function naiveList(all: readonly Task[], q: TaskListQuery): TaskPage {
  const limit = Math.min(Math.max(q.limit ?? 50, 1), 1000);
  const fromCursor = q.cursor === undefined ? null : decodeCursor(q.cursor);
  let skip = fromCursor === null ? Math.max(q.offset ?? 0, 0) : 0;
  const tasks: Task[] = [];
  let total = 0;
  let nextPosition: number | null = null;
  all.forEach((task, position) => {
    if (q.status !== undefined && task.status !== q.status) return;
    if (q.phase !== undefined && task.phase !== q.phase) return;
    if (q.agentId !== undefined && task.holder !== q.agentId) return;
    total += 1;
    if (fromCursor !== null && position < fromCursor) return;
    if (skip > 0) {
      skip -= 1;
      return;
    }
    if (tasks.length < limit) tasks.push(task);
    else nextPosition ??= position;
  });
  return { tasks, total, next_cursor: nextPosition === null ? null : encodeCursor(nextPosition) };
}

function replay(steps: readonly Step[]): StateIndex {
  const index = new StateIndex();
  const ids = new SequentialIds('t');
  const clock = new ManualClock();
  let lastCreate: StateOp | null = null;
  const inOrder = (): Task[] => [...index.exportMaps().tasks.values()];
  for (const s of steps) {
    const all = inOrder();
    const picked =
      s.kind === 'change' || s.kind === 'delete' ? all[s.pick % Math.max(all.length, 1)] : undefined;
    if (s.kind === 'create') {
      const task = createTask(
        {
          title: 'x',
          workflow: { name: 'w', version: '1' },
          initialPhase: 'PLAN',
          maxAttempts: 3,
          createdBy: 'op',
        },
        { clock, ids },
      );
      lastCreate = index.apply({ op: 'put_task', task });
      continue;
    }
    if (s.kind === 'undoCreate') {
      // What a failed write's roll-back does: the inverse of the newest create.
      if (lastCreate !== null) index.apply(lastCreate);
      lastCreate = null;
      continue;
    }
    lastCreate = null;
    if (picked === undefined) continue;
    if (s.kind === 'delete') index.apply({ op: 'delete_task', id: picked.id });
    else
      index.apply({
        op: 'put_task',
        task: { ...picked, status: s.status, phase: s.phase, holder: s.holder },
      });
  }
  return index;
}

describe('listTasks', () => {
  it('matches a filter over every task for random histories and queries (property)', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 80 }),
        fc.array(query, { minLength: 1, maxLength: 15 }),
        (steps, qs) => {
          const index = replay(steps);
          const all = [...index.exportMaps().tasks.values()];
          const counts = Object.fromEntries(
            TASK_STATUSES.map((s) => [s, all.filter((t) => t.status === s).length]),
          );
          expect(index.countByStatus()).toEqual(counts);
          for (const { cursorAt, ...rest } of qs) {
            const q: TaskListQuery =
              cursorAt === undefined ? rest : { ...rest, cursor: encodeCursor(cursorAt) };
            expect(listTasks(index, q)).toEqual(naiveList(all, q));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('walks every page of a status by its cursors, each task once', () => {
    const index = replay([
      ...Array.from({ length: 30 }, () => ({ kind: 'create' as const })),
      ...Array.from({ length: 30 }, (_, i) => ({
        kind: 'change' as const,
        pick: i * 7,
        status: 'completed' as const,
        phase: 'PLAN',
        holder: null,
      })),
    ]);
    const queued = [...index.exportMaps().tasks.values()]
      .filter((t) => t.status === 'queued')
      .map((t) => t.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = listTasks(index, { status: 'queued', limit: 4, ...(cursor ? { cursor } : {}) });
      expect(page.total).toBe(queued.length);
      seen.push(...page.tasks.map((t) => t.id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen).toEqual(queued);
  });

  it('refuses a cursor it did not issue', () => {
    expect(() => listTasks(new StateIndex(), { cursor: 'garbage' })).toThrow(
      expect.objectContaining({ code: 'invalid_cursor' }),
    );
  });
});
