import { EventHistory } from './event-history.js';
import { type OrchestratorEvent } from './event.model.js';

const event = (
  id: number,
  type: OrchestratorEvent['type'] = 'task.created',
  task_id = 't1',
): OrchestratorEvent => ({
  id,
  type,
  at: new Date(0).toISOString(),
  task_id,
  data: {},
});

describe('EventHistory', () => {
  it('keeps only the newest events up to its capacity', () => {
    const history = new EventHistory(3);
    for (let i = 1; i <= 5; i++) history.add(event(i));
    expect(history.query({}).map((e) => e.id)).toEqual([3, 4, 5]);
    expect(history.lastId).toBe(5);
  });

  it('filters by type, task and after, oldest first, up to a limit', () => {
    const history = new EventHistory(10);
    history.add(event(1, 'task.created', 'a'));
    history.add(event(2, 'task.claimed', 'a'));
    history.add(event(3, 'task.created', 'b'));
    history.add(event(4, 'task.claimed', 'b'));
    expect(history.query({ type: 'task.claimed' }).map((e) => e.id)).toEqual([2, 4]);
    expect(history.query({ task_id: 'b' }).map((e) => e.id)).toEqual([3, 4]);
    expect(history.query({ after: 2 }).map((e) => e.id)).toEqual([3, 4]);
    expect(history.query({ limit: 1 }).map((e) => e.id)).toEqual([1]);
  });
});
