import { approvedGates, mergedArtifacts } from './artifact-view.js';
import { type Task } from './task.model.js';

const task = (overrides: Partial<Task>): Task =>
  ({ phase: 'IMPL', artifacts: {}, approvals: [], ...overrides }) as Task;

describe('mergedArtifacts', () => {
  it('merges every phase, the current phase last, then the submission', () => {
    const t = task({
      phase: 'IMPL',
      artifacts: {
        PLAN: { plan: 1, shared: 'plan' },
        TDD: { tests: 2, shared: 'tdd' },
        IMPL: { shared: 'impl' },
      },
    });
    expect(mergedArtifacts(t, { extra: 3 })).toEqual({ plan: 1, tests: 2, shared: 'impl', extra: 3 });
    expect(mergedArtifacts(t, { shared: 'new' }).shared).toBe('new');
  });
});

describe('approvedGates', () => {
  const approval = (gate_id: string, decision: 'approved' | 'rejected', phase = 'PLAN') => ({
    gate_id,
    phase,
    decision,
    by: 'op',
    comment: null,
    at: '2026-01-01T00:00:00.000Z',
  });

  it('counts only gates whose latest decision in that phase is approved', () => {
    const t = task({
      approvals: [
        approval('a', 'approved'),
        approval('b', 'approved'),
        approval('b', 'rejected'),
        approval('c', 'approved', 'TDD'),
      ],
    });
    expect([...approvedGates(t, 'PLAN')]).toEqual(['a']);
    expect([...approvedGates(t, 'TDD')]).toEqual(['c']);
  });
});
