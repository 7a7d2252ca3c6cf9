import { type Task } from './domain/task.model.js';
import { NO_APPROVERS, taskSummary, taskView } from './task-views.js';

const blockedOn = {
  at: '2026-01-01T00:01:00.000Z',
  phase: 'PLAN',
  to_phase: 'BUILD',
  gate_id: 'plan_approved',
  blocker_details: [
    { check: 'approval_required', severity: 'blocking', message: 'needs approval', digest: 'sha256:aa' },
  ],
};
const request = {
  gate_id: 'plan_approved',
  phase: 'PLAN',
  digest: 'sha256:aa',
  artifacts: ['plan'],
  by: 'agent-1',
  at: '2026-01-01T00:01:00.000Z',
};
const base = {
  id: 't1',
  phase: 'PLAN',
  status: 'claimed',
  artifacts: {},
  approvals: [],
  approval_requests: [request],
  history: [],
  blocked_on: blockedOn,
} as unknown as Task;
const approvers = () => ['lead-reviewer', 'admin'];

describe('task views', () => {
  it('shows blocked_on with the blocker lines, the approval state and the approvers', () => {
    expect(taskView(base, approvers).blocked_on).toEqual({
      at: blockedOn.at,
      phase: 'PLAN',
      to_phase: 'BUILD',
      gate_id: 'plan_approved',
      approval_pending: true,
      approvers: ['lead-reviewer', 'admin'],
      blockers: ['needs approval'],
      blocker_details: blockedOn.blocker_details,
    });
    const decided = {
      ...base,
      approvals: [{ ...request, decision: 'rejected', comment: null, at: '2026-01-01T00:02:00.000Z' }],
    } as unknown as Task;
    expect(taskSummary(decided, approvers).blocked_on).toMatchObject({ approval_pending: false });
  });

  it('names no approvers in answers to agents', () => {
    expect(taskView(base, NO_APPROVERS).blocked_on).toMatchObject({ approvers: [], approval_pending: true });
  });

  it('answers null for tasks stored before blocked_on and heartbeat stamps existed', () => {
    const { blocked_on: _b, ...legacy } = base as Task & { blocked_on: unknown };
    const view = taskView(legacy as Task, approvers);
    expect(view.blocked_on).toBeNull();
    expect(view.last_heartbeat_at).toBeNull();
    expect(taskSummary(legacy as Task, approvers)).not.toHaveProperty('history');
  });
});
