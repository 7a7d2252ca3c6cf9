import { describeApprovers, mayApprove } from './approvers.js';
import { loadWorkflowText } from './workflow.loader.js';

describe('mayApprove', () => {
  it('admits callers by exact role or exact subject', () => {
    const list = ['admin', 'lead-reviewer'];
    expect(mayApprove(list, { sub: 'root', role: 'admin' })).toBe(true);
    expect(mayApprove(list, { sub: 'lead-reviewer', role: 'operator' })).toBe(true);
    expect(mayApprove(list, { sub: 'op-2', role: 'operator' })).toBe(false);
    // A role entry never matches a subject spelled like it, nor the reverse.
    expect(mayApprove(['operator'], { sub: 'admin', role: 'admin' })).toBe(false);
    expect(mayApprove(['admin'], { sub: 'admin', role: 'operator' })).toBe(false);
    expect(mayApprove(['LEAD-REVIEWER'], { sub: 'lead-reviewer', role: 'operator' })).toBe(false);
  });

  it('never admits an agent, even one named in the list', () => {
    expect(mayApprove(['agent-1'], { sub: 'agent-1', role: 'agent' })).toBe(false);
    expect(mayApprove([], { sub: 'agent-1', role: 'agent' })).toBe(false);
  });

  it('admits every operator and admin when the gate names no approvers', () => {
    expect(mayApprove([], { sub: 'op', role: 'operator' })).toBe(true);
    expect(mayApprove([], { sub: 'root', role: 'admin' })).toBe(true);
  });

  it('describes the list in words', () => {
    expect(describeApprovers(['operator', 'lead'])).toBe('role operator or subject lead');
    expect(describeApprovers([])).toBe('any operator or admin');
  });
});

describe('approvers in a workflow file', () => {
  const yaml = (approvers: string) => `name: t
version: "1"
phases:
  - id: A
    gates:
      - { id: g, type: approval, blockers: [], approvers: ${approvers} }
  - id: B
transitions:
  - { from: A, to: B, gate: g }
`;

  it('refuses an agent as an approver, naming the line', () => {
    expect(() => loadWorkflowText(yaml('[operator, agent]'), 'w.yaml')).toThrow(
      /w\.yaml:6:\d+.*'agent' cannot approve a gate: agents are never approvers/,
    );
  });

  it('keeps roles and subjects as written', () => {
    expect(
      loadWorkflowText(yaml('[admin, lead-reviewer]'), 'w.yaml').runtime.gates.get('g')?.spec.approvers,
    ).toEqual(['admin', 'lead-reviewer']);
  });
});
