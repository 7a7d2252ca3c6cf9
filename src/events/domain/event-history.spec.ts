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

  it('keeps order, filters and `after` right after wrapping around many times', () => {
    const history = new EventHistory(4);
    for (let i = 1; i <= 23; i++) history.add(event(i, i % 2 ? 'task.created' : 'task.claimed'));
    expect(history.query({}).map((e) => e.id)).toEqual([20, 21, 22, 23]);
    expect([history.oldestId, history.lastId]).toEqual([20, 23]);
    expect(history.query({ after: 21 }).map((e) => e.id)).toEqual([22, 23]);
    expect(history.query({ after: 5 }).map((e) => e.id)).toEqual([20, 21, 22, 23]);
    expect(history.query({ after: 23 })).toEqual([]);
    expect(history.query({ type: 'task.created', after: 20 }).map((e) => e.id)).toEqual([21, 23]);
    expect(history.resyncFor(18, 23)).toMatchObject({ reason: 'expired', oldest_id: 20 });
    expect(history.resyncFor(19, 23)).toBeNull();
  });

  it('answers an empty history', () => {
    const history = new EventHistory(2);
    expect([history.query({ after: 0 }), history.lastId, history.oldestId]).toEqual([[], 0, null]);
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

describe('EventHistory.resyncFor', () => {
  it('serves any cursor from what it kept, and everything for cursor 0', () => {
    const history = new EventHistory(3);
    for (let i = 1; i <= 3; i++) history.add(event(i));
    for (const cursor of [0, 1, 2, 3]) expect(history.resyncFor(cursor, 3)).toBeNull();
  });

  it('names a cursor older than the ring as expired, with the oldest kept and the head', () => {
    const history = new EventHistory(3);
    for (let i = 1; i <= 5; i++) history.add(event(i)); // 1 and 2 dropped
    expect(history.resyncFor(2, 5)).toBeNull(); // saw 2: nothing it needs was dropped
    expect(history.resyncFor(1, 5)).toEqual({ reason: 'expired', cursor: 1, oldest_id: 3, head_id: 5 });
  });

  it('names a cursor above the head as unknown_id', () => {
    const history = new EventHistory(3);
    history.add(event(10));
    expect(history.resyncFor(11, 10)).toEqual({
      reason: 'unknown_id',
      cursor: 11,
      oldest_id: 10,
      head_id: 10,
    });
  });

  it('treats events lost before it (a restart) as dropped', () => {
    const history = new EventHistory(10);
    history.markLostThrough(500);
    expect(history.resyncFor(499, 500)).toMatchObject({ reason: 'expired', oldest_id: null });
    expect(history.resyncFor(500, 500)).toBeNull();
  });
});
