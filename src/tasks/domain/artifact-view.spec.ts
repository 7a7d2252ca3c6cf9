import { mergedArtifacts } from './artifact-view.js';
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
