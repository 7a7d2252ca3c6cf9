import { mayApprove } from './approvers.js';
import { loadWorkflowFile, loadWorkflowText, tryLoadWorkflowText } from './workflow.loader.js';

const FILE = 'test/fixtures/workflows/earlier_format_workflow.yaml';

/** A hand-written workflow in the earlier Python orchestrator's format. */
describe(FILE, () => {
  const wf = loadWorkflowFile(FILE);

  it('loads, with every phase and transition', () => {
    expect(wf).toMatchObject({ name: 'Earlier Format Workflow', version: '1.0' });
    expect(wf.phases.map((p) => p.id)).toEqual(['PLAN', 'TDD', 'IMPL', 'REVIEW', 'COMPLETE']);
    expect(wf.transitions).toHaveLength(4);
  });

  it('warns about what it says but this engine will not do, with lines', () => {
    expect(wf.warnings.map((w) => `${w.line}: ${w.message}`)).toEqual([
      "31: approver 'orchestrator' names no one: this server never approves a gate on its own",
      "49: unknown check 'tests_are_meaningful' (severity warning) is not enforced",
      "50: unknown check 'test_names_read_as_sentences' (severity warning) is not enforced",
      "75: unknown check 'no_debug_output_left' (severity warning) is not enforced",
      "97: approver 'review_agent' reads like an agent, which never approves: it admits only an operator or admin whose token subject is 'review_agent'",
      "97: approver 'orchestrator' names no one: this server never approves a gate on its own",
      "146: schemas_dir '.orchestrator/schemas' does not exist; no schemas are read from it",
    ]);
  });

  it('keeps the unknown warning checks as not enforced, and runs the known ones', () => {
    expect(wf.unenforced.map((u) => u.path)).toEqual(
      expect.arrayContaining(['phases[1].gates[0].blockers[2]', 'phases[2].gates[0].blockers[3]']),
    );
    expect(wf.runtime.gates.get('tests_written')?.blockers.map((b) => b.spec.check)).toEqual([
      'tests_exist_for_acceptance_criteria',
      'tests_are_failing',
    ]);
  });

  it('finds a schema file that does not exist among its inline schemas, by base name', () => {
    const complete = wf.phases.find((p) => p.id === 'COMPLETE');
    expect(complete?.required_artifacts[0]).toMatchObject({
      type: 'completion_summary',
      schema: 'completion.json',
    });
    const validate = wf.runtime.validators.get('completion.json');
    expect(validate?.({ summary: 'too short' })).toBe(false);
  });

  it('lets any operator or admin approve a gate naming human, and the orchestrator no one', () => {
    const approvers = wf.runtime.gates.get('plan_approval')?.spec.approvers ?? [];
    expect(approvers).toEqual(['human', 'orchestrator']);
    expect(mayApprove(approvers, { sub: 'op', role: 'operator' })).toBe(true);
    expect(mayApprove(approvers, { sub: 'root', role: 'admin' })).toBe(true);
    expect(mayApprove(approvers, { sub: 'orchestrator', role: 'agent' })).toBe(false);
  });
});

describe('what the earlier format may still not do', () => {
  const gate = (blocker: string) => `name: w
phases:
  - id: A
    gates:
      - id: g
        blockers:
          - ${blocker}
  - id: B
transitions:
  - { from: A, to: B, gate: g }
`;

  it('an unknown blocking check is still an error (a blocker nobody runs would let anything through)', () => {
    const result = tryLoadWorkflowText(gate('{ check: tests_are_meaningful, severity: blocking }'), 'w.yaml');
    expect(result.problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      "7: unknown check 'tests_are_meaningful'",
    ]);
  });

  it('an unknown info check is not enforced, with a warning', () => {
    const wf = loadWorkflowText(gate('{ check: looks_nice, severity: info }'), 'w.yaml');
    expect(wf.warnings).toEqual([
      expect.objectContaining({
        line: 7,
        message: "unknown check 'looks_nice' (severity info) is not enforced",
      }),
    ]);
    expect(wf.runtime.gates.get('g')?.blockers).toEqual([]);
  });

  it('a schema file missing with no inline schema of its base name is still an error', () => {
    const text = `name: w
phases:
  - id: A
    required_artifacts:
      - { type: plan, schema: schemas/nowhere.json }
schemas:
  plan.json: { type: object }
`;
    expect(tryLoadWorkflowText(text, 'w.yaml').problems[0]).toMatchObject({
      line: 5,
      message: expect.stringMatching(/schema file 'schemas\/nowhere\.json' which cannot be read/),
    });
  });
});
