import { ManualClock } from '../../common/domain/clock.js';
import { InvalidInputError } from '../../common/domain/domain-error.js';
import { SequentialIds } from '../../common/domain/ids.js';
import { createTask, type NewTaskInput } from './task-factory.js';

const base: NewTaskInput = {
  title: '  Add login  ',
  workflow: { name: 'agent', version: '1.0' },
  initialPhase: 'PLAN',
  maxAttempts: 3,
  createdBy: 'operator-1',
};

describe('createTask', () => {
  const deps = () => ({ clock: new ManualClock(Date.UTC(2026, 0, 1)), ids: new SequentialIds('task') });

  it('builds a queued task pinned to its workflow, with a created history entry', () => {
    const task = createTask(
      { ...base, capabilities: ['ts', 'git', 'ts'], dependencies: ['a', 'b', 'a'], priority: 5 },
      deps(),
    );
    expect(task).toMatchObject({
      id: 'task-1',
      title: 'Add login',
      description: '',
      workflow: { name: 'agent', version: '1.0' },
      phase: 'PLAN',
      status: 'queued',
      holder: null,
      capabilities: ['git', 'ts'],
      dependencies: ['a', 'b'],
      priority: 5,
      attempts: 0,
      max_attempts: 3,
      token_version: 0,
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
      completed_at: null,
      failure_reason: null,
    });
    expect(task.history).toEqual([
      {
        at: '2026-01-01T00:00:00.000Z',
        actor: 'operator-1',
        action: 'created',
        from_phase: null,
        to_phase: 'PLAN',
        from_status: null,
        to_status: 'queued',
        reason: null,
      },
    ]);
  });

  it.each([
    [{ title: '   ' }, 'title'],
    [{ priority: 1.5 }, 'priority'],
    [{ maxAttempts: 0 }, 'max_attempts'],
    [{ capabilities: [''] }, 'capabilities'],
    [{ dependencies: [' '] }, 'dependencies'],
    [{ initialPhase: '' }, 'phase'],
  ] as const)('rejects %j naming the field', (override, field) => {
    const attempt = () => createTask({ ...base, ...override }, deps());
    expect(attempt).toThrow(InvalidInputError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'invalid_task', details: { field } }));
  });
});
