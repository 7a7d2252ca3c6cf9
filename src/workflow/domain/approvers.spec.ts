import { describeApprovers, mayApprove } from './approvers.js';
import { loadWorkflowText, tryLoadWorkflowText } from './workflow.loader.js';

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

  it("reads the earlier format's names: human is any operator or admin, orchestrator no one", () => {
    expect(mayApprove(['human'], { sub: 'op', role: 'operator' })).toBe(true);
    expect(mayApprove(['human'], { sub: 'root', role: 'admin' })).toBe(true);
    expect(mayApprove(['human'], { sub: 'a1', role: 'agent' })).toBe(false);
    // Not even an operator whose subject is spelled like it.
    expect(mayApprove(['orchestrator', 'lead'], { sub: 'orchestrator', role: 'operator' })).toBe(false);
    expect(mayApprove(['orchestrator', 'lead'], { sub: 'lead', role: 'operator' })).toBe(true);
    expect(describeApprovers(['human', 'orchestrator'])).toBe('any operator or admin');
    expect(describeApprovers(['orchestrator', 'lead'])).toBe('subject lead');
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

describe('approvers flagged at load', () => {
  const load = (approvers: string) =>
    tryLoadWorkflowText(
      `name: t\nphases:\n  - id: A\n    gates:\n      - { id: g, type: approval, blockers: [], approvers: ${approvers} }\n  - id: B\ntransitions:\n  - { from: A, to: B, gate: g }\n`,
      'w.yaml',
    );

  it('loads human and orchestrator, warning that orchestrator names no one', () => {
    const result = load('[human, orchestrator]');
    expect(result.problems).toEqual([]);
    expect(result.warnings.map((w) => w.message)).toEqual([
      "approver 'orchestrator' names no one: this server never approves a gate on its own",
    ]);
  });

  it('warns about an entry that reads like a role or an agent but is taken as a subject', () => {
    expect(load('[operators, review_agent, lead-reviewer]').warnings.map((w) => w.message)).toEqual([
      "approver 'operators' is no role: it admits only an operator or admin whose token subject is 'operators'",
      "approver 'review_agent' reads like an agent, which never approves: it admits only an operator or admin whose token subject is 'review_agent'",
    ]);
  });

  it('refuses a list that admits no one: the gate could never be approved', () => {
    expect(load('[orchestrator]').problems.map((p) => p.message)).toEqual([
      'approvers [orchestrator] admit no one: the gate could never be approved',
    ]);
  });
});
