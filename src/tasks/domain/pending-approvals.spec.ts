import { approvalPending, undecidedRequests } from './pending-approvals.js';
import { type Approval, type ApprovalRequest, type Task } from './task.model.js';

const request = (over: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  gate_id: 'plan_approved',
  phase: 'PLAN',
  digest: 'sha256:aa',
  artifacts: ['plan'],
  by: 'agent-1',
  at: '2026-01-01T00:01:00.000Z',
  ...over,
});

const decision = (over: Partial<Approval> = {}): Approval => ({
  gate_id: 'plan_approved',
  phase: 'PLAN',
  decision: 'approved',
  by: 'op',
  comment: null,
  at: '2026-01-01T00:02:00.000Z',
  digest: 'sha256:aa',
  artifacts: ['plan'],
  ...over,
});

const taskWith = (requests: ApprovalRequest[], approvals: Approval[], phase = 'PLAN') =>
  ({ phase, approval_requests: requests, approvals }) as unknown as Task;

describe('undecidedRequests', () => {
  it('lists a request no decision answered', () => {
    expect(undecidedRequests(taskWith([request()], []))).toEqual([request()]);
    expect(approvalPending(taskWith([request()], []), 'plan_approved')).toBe(true);
    expect(approvalPending(taskWith([request()], []), 'other_gate')).toBe(false);
  });

  it('drops a request that was approved or rejected on its digest', () => {
    expect(undecidedRequests(taskWith([request()], [decision()]))).toEqual([]);
    expect(undecidedRequests(taskWith([request()], [decision({ decision: 'rejected' })]))).toEqual([]);
  });

  it('keeps a request whose digest was only decided before it, or in another phase or gate', () => {
    const older = decision({ at: '2026-01-01T00:00:30.000Z' });
    expect(undecidedRequests(taskWith([request()], [older]))).toHaveLength(1);
    expect(undecidedRequests(taskWith([request()], [decision({ digest: 'sha256:bb' })]))).toHaveLength(1);
    expect(undecidedRequests(taskWith([request()], [decision({ gate_id: 'g2' })]))).toHaveLength(1);
  });

  it('ignores requests of another phase and tasks stored before requests existed', () => {
    expect(undecidedRequests(taskWith([request()], [], 'TDD'))).toEqual([]);
    expect(undecidedRequests({ phase: 'PLAN', approvals: [] } as unknown as Task)).toEqual([]);
  });
});
