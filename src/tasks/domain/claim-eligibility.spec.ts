import fc from 'fast-check';
import { ManualClock } from '../../common/domain/clock.js';
import { SequentialIds } from '../../common/domain/ids.js';
import { compareClaimOrder, eligibilityBlockers, isEligible, pickNextEligible } from './claim-eligibility.js';
import { createTask } from './task-factory.js';
import { claim, release } from './task-state-machine.js';
import type { Task, TaskStatus } from './task.model.js';

const T0 = Date.UTC(2026, 0, 1);

function makeTask(
  clock: ManualClock,
  ids: SequentialIds,
  opts: { priority?: number; capabilities?: string[]; dependencies?: string[] } = {},
): Task {
  return createTask(
    {
      title: 't',
      workflow: { name: 'w', version: '1' },
      initialPhase: 'PLAN',
      maxAttempts: 3,
      createdBy: 'op',
      ...opts,
    },
    { clock, ids },
  );
}

describe('claim eligibility', () => {
  const statuses = new Map<string, TaskStatus>();
  const statusOf = (id: string) => statuses.get(id);

  it('lists every blocker', () => {
    const clock = new ManualClock(T0);
    const ids = new SequentialIds('t');
    statuses.set('dep-done', 'completed').set('dep-open', 'claimed');
    const task = makeTask(clock, ids, {
      capabilities: ['gpu', 'ts'],
      dependencies: ['dep-done', 'dep-open', 'gone'],
    });
    const backedOff = release(
      claim(task, { agentId: 'a', leaseMs: 1000 }, clock),
      { agentId: 'a', retryBackoffMs: 5000 },
      clock,
    );
    expect(eligibilityBlockers(backedOff, new Set(['ts']), T0, statusOf)).toEqual([
      { code: 'dependency_incomplete', task_id: 'dep-open', status: 'claimed' },
      { code: 'dependency_incomplete', task_id: 'gone', status: null },
      { code: 'missing_capability', capability: 'gpu' },
      { code: 'retry_backoff', until: '2026-01-01T00:00:05.000Z' },
    ]);
    statuses.set('dep-open', 'completed').set('gone', 'completed');
    expect(isEligible(backedOff, new Set(['gpu', 'ts', 'extra']), T0 + 4999, statusOf)).toBe(false);
    expect(isEligible(backedOff, new Set(['gpu', 'ts', 'extra']), T0 + 5000, statusOf)).toBe(true);
    expect(
      eligibilityBlockers(
        claim(backedOff, { agentId: 'b', leaseMs: 1 }, clock),
        new Set(['gpu', 'ts']),
        T0 + 5000,
        statusOf,
      ),
    ).toEqual([{ code: 'not_queued', status: 'claimed' }]);
  });

  it('orders by priority desc, then created_at asc, then id', () => {
    const clock = new ManualClock(T0);
    const ids = new SequentialIds('t');
    const low = makeTask(clock, ids, { priority: 1 });
    clock.advance(1);
    const highNew = makeTask(clock, ids, { priority: 9 });
    const highNewer = { ...makeTask(clock, ids, { priority: 9 }), id: 't-0' };
    const highOld = { ...highNew, id: 'x', created_at: '2025-12-31T00:00:00.000Z' };
    const sorted = [low, highNew, highNewer, highOld].sort(compareClaimOrder).map((t) => t.id);
    expect(sorted).toEqual(['x', 't-0', 't-2', 't-1']);
  });

  it('pickNextEligible returns the first eligible task in claim order (property)', () => {
    const caps = ['a', 'b', 'c'];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            priority: fc.integer({ min: 0, max: 3 }),
            caps: fc.subarray(caps),
            created: fc.integer({ min: 0, max: 5 }),
            retry: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }),
            status: fc.constantFrom<TaskStatus>('queued', 'claimed', 'completed'),
          }),
          { maxLength: 25 },
        ),
        fc.subarray(caps),
        fc.integer({ min: 0, max: 10 }),
        (specs, agentCaps, nowOffset) => {
          const clock = new ManualClock(T0);
          const ids = new SequentialIds('t');
          const tasks = specs.map((s) => ({
            ...makeTask(clock, ids, { priority: s.priority, capabilities: s.caps }),
            created_at: new Date(T0 + s.created).toISOString(),
            retry_not_before: s.retry === null ? null : new Date(T0 + s.retry).toISOString(),
            status: s.status,
          }));
          const byId = new Map(tasks.map((t) => [t.id, t.status]));
          const have = new Set(agentCaps);
          const now = T0 + nowOffset;
          const expected =
            [...tasks].sort(compareClaimOrder).find((t) => isEligible(t, have, now, (id) => byId.get(id))) ??
            null;
          expect(pickNextEligible(tasks, have, now, (id) => byId.get(id))).toBe(expected);
        },
      ),
    );
  });
});
