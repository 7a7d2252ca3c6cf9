import { InvalidInputError } from '../../common/domain/domain-error.js';
import { decideCompletion, isFinalPhase } from './completion-decision.js';
import { artifactDigest } from './artifact-digest.js';
import { decideTransition } from './transition-decision.js';
import { loadWorkflowText } from './workflow.loader.js';

const YAML = `name: t
version: "2"
enforcement: { mode: strict }
schemas:
  plan:
    type: object
    required: [acceptance_criteria]
    properties:
      acceptance_criteria: { type: array, minItems: 1 }
      owner: { type: string, format: email }
phases:
  - id: PLAN
    required_artifacts:
      - { type: plan_document, schema: plan }
    gates:
      - id: approve_plan
        type: approval
        approvers: [operator]
        blockers:
          - check: plan_has_acceptance_criteria
          - check: no_open_questions
            severity: warning
          - check: { artifact: plan_document, pointer: /notes, op: exists }
            severity: info
            message: notes help reviewers
  - id: BUILD
    gates:
      - id: green
        type: validation
        blockers: [all_tests_pass]
  - id: DONE
    required_artifacts: [summary]
transitions:
  - { from: PLAN, to: BUILD, gate: approve_plan }
  - { from: BUILD, to: DONE, gate: green }
  - { from: BUILD, to: PLAN }
`;

const wf = loadWorkflowText(YAML, 't.yaml');
const goodPlan = { plan_document: { acceptance_criteria: ['works'], notes: 'n' } };
/** The approval of `approve_plan` for exactly these artifacts. */
const approvedFor = (artifacts: Record<string, unknown>) =>
  new Map([['approve_plan', artifactDigest(artifacts)]]);

describe('decideTransition', () => {
  it('allows when artifacts are valid, checks pass and the approval is recorded', () => {
    const d = decideTransition(wf, {
      currentPhase: 'PLAN',
      targetPhase: 'BUILD',
      artifacts: goodPlan,
      approvals: approvedFor(goodPlan),
    });
    expect(d).toEqual({
      from: 'PLAN',
      to: 'BUILD',
      gate: 'approve_plan',
      gate_type: 'approval',
      digest: artifactDigest(goodPlan),
      allowed: true,
      mode: 'strict',
      blockers: [],
      warnings: [],
      would_block: [],
    });
  });

  it('blocks an approval gate until that gate is approved for the task', () => {
    const d = decideTransition(wf, {
      currentPhase: 'PLAN',
      targetPhase: 'BUILD',
      artifacts: goodPlan,
      approvals: new Map([['green', artifactDigest(goodPlan)]]),
    });
    expect(d.allowed).toBe(false);
    expect(d.blockers).toEqual([
      {
        check: 'approval_required',
        severity: 'blocking',
        gate: 'approve_plan',
        message: `gate 'approve_plan' needs an approval by operator of these artifacts (${artifactDigest(goodPlan)})`,
        digest: artifactDigest(goodPlan),
      },
    ]);
  });

  it('passes an approval gate only with the artifacts that were approved', () => {
    const approvals = approvedFor(goodPlan);
    const other = { plan_document: { acceptance_criteria: ['works', 'and more'], notes: 'n' } };
    const changed = decideTransition(wf, {
      currentPhase: 'PLAN',
      targetPhase: 'BUILD',
      artifacts: other,
      approvals,
    });
    expect(changed.allowed).toBe(false);
    expect(changed.digest).toBe(artifactDigest(other));
    expect(changed.blockers).toEqual([
      expect.objectContaining({
        check: 'approval_required',
        digest: artifactDigest(other),
        message: expect.stringContaining(`approved for other artifacts (${artifactDigest(goodPlan)})`),
      }),
    ]);
    // One more artifact is other artifacts too.
    const extra = { ...goodPlan, sneaked_in: { rm: '-rf' } };
    expect(
      decideTransition(wf, { currentPhase: 'PLAN', targetPhase: 'BUILD', artifacts: extra, approvals })
        .allowed,
    ).toBe(false);
    // The same artifacts in another key order and spacing are the same artifacts.
    const reordered = JSON.parse('{ "plan_document": { "notes": "n", "acceptance_criteria": ["works"] } }');
    expect(
      decideTransition(wf, { currentPhase: 'PLAN', targetPhase: 'BUILD', artifacts: reordered, approvals })
        .allowed,
    ).toBe(true);
  });

  it('turns a missing artifact and schema violations into blockers with artifact and pointer', () => {
    const missing = decideTransition(wf, {
      currentPhase: 'PLAN',
      targetPhase: 'BUILD',
      artifacts: {},
      approvals: approvedFor({}),
    });
    expect(missing.blockers[0]).toEqual({
      check: 'artifact_required',
      severity: 'blocking',
      artifact: 'plan_document',
      pointer: '',
      message: "required artifact 'plan_document' is missing (phase PLAN)",
    });
    const invalid = decideTransition(wf, {
      currentPhase: 'PLAN',
      targetPhase: 'BUILD',
      artifacts: { plan_document: { acceptance_criteria: [], owner: 'not-an-email', notes: 'n' } },
      approvals: approvedFor({
        plan_document: { acceptance_criteria: [], owner: 'not-an-email', notes: 'n' },
      }),
    });
    expect(invalid.blockers.filter((b) => b.check === 'artifact_schema')).toEqual([
      {
        check: 'artifact_schema',
        severity: 'blocking',
        artifact: 'plan_document',
        pointer: '/acceptance_criteria',
        message: 'plan_document/acceptance_criteria: must NOT have fewer than 1 items',
      },
      {
        check: 'artifact_schema',
        severity: 'blocking',
        artifact: 'plan_document',
        pointer: '/owner',
        message: 'plan_document/owner: must match format "email"',
      },
    ]);
    const noCriteria = decideTransition(wf, {
      currentPhase: 'PLAN',
      targetPhase: 'BUILD',
      artifacts: { plan_document: { notes: 'n' } },
      approvals: approvedFor({ plan_document: { notes: 'n' } }),
    });
    expect(noCriteria.blockers[0]).toMatchObject({
      pointer: '/acceptance_criteria',
      message: "plan_document: must have required property 'acceptance_criteria'",
    });
  });

  it('returns warning and info findings as warnings without blocking', () => {
    const d = decideTransition(wf, {
      currentPhase: 'PLAN',
      targetPhase: 'BUILD',
      artifacts: { plan_document: { acceptance_criteria: ['a'], open_questions: ['why?'] } },
      approvals: approvedFor({ plan_document: { acceptance_criteria: ['a'], open_questions: ['why?'] } }),
    });
    expect(d.allowed).toBe(true);
    expect(d.warnings.map((w) => [w.check, w.severity])).toEqual([
      ['no_open_questions', 'warning'],
      ['declarative', 'info'],
    ]);
  });

  it('checks no gate on an ungated transition, only the source phase artifacts', () => {
    expect(decideTransition(wf, { currentPhase: 'BUILD', targetPhase: 'PLAN', artifacts: {} })).toMatchObject(
      { allowed: true, blockers: [] },
    );
    expect(
      decideTransition(wf, { currentPhase: 'BUILD', targetPhase: 'PLAN', artifacts: {} }).gate,
    ).toBeUndefined();
  });

  describe('modes', () => {
    const input = {
      currentPhase: 'BUILD',
      targetPhase: 'DONE',
      artifacts: { test_run_result: { exit_code: 1, passed: 1, failed: 2 } },
    };
    const blocker = {
      check: 'all_tests_pass',
      severity: 'blocking',
      gate: 'green',
      message: '2 test(s) failed',
      artifact: 'test_run_result',
      pointer: '/failed',
    };

    it('strict blocks', () => {
      expect(decideTransition(wf, input)).toMatchObject({
        allowed: false,
        mode: 'strict',
        blockers: [blocker],
        warnings: [],
        would_block: [],
      });
    });

    it('permissive allows and demotes blockers to warnings', () => {
      expect(decideTransition(wf, { ...input, mode: 'permissive' })).toMatchObject({
        allowed: true,
        mode: 'permissive',
        blockers: [],
        warnings: [blocker],
        would_block: [blocker],
      });
    });

    it('audit (and its alias advisory) allows and reports what would have blocked', () => {
      for (const mode of ['audit', 'advisory']) {
        expect(decideTransition(wf, { ...input, mode })).toMatchObject({
          allowed: true,
          mode: 'audit',
          blockers: [],
          warnings: [],
          would_block: [blocker],
        });
      }
    });

    it("uses the workflow's mode by default and rejects an unknown one", () => {
      const audit = loadWorkflowText(YAML.replace('mode: strict', 'mode: advisory'), 'a.yaml');
      expect(audit.enforcement).toMatchObject({ mode: 'audit', declared_mode: 'advisory' });
      expect(decideTransition(audit, input)).toMatchObject({ allowed: true, mode: 'audit' });
      expect(() => decideTransition(wf, { ...input, mode: 'lenient' })).toThrow(
        expect.objectContaining({ code: 'invalid_mode' }),
      );
    });
  });

  it('throws no_such_transition for a transition or phase that does not exist', () => {
    const attempt = (from: string, to: string) => () =>
      decideTransition(wf, { currentPhase: from, targetPhase: to, artifacts: {} });
    expect(attempt('PLAN', 'DONE')).toThrow(InvalidInputError);
    expect(attempt('PLAN', 'DONE')).toThrow(
      expect.objectContaining({
        code: 'no_such_transition',
        message: "No transition defined from PLAN to DONE: workflow 't' has no transition PLAN → DONE",
        details: { from: 'PLAN', to: 'DONE', allowed_targets: ['BUILD'] },
      }),
    );
    expect(attempt('PLAN', 'SHIP')).toThrow(
      "No transition defined from PLAN to SHIP: phase 'SHIP' not defined in workflow 't'",
    );
  });

  it('is pure: the same input gives the same decision, and the workflow stays frozen', () => {
    const input = { currentPhase: 'PLAN', targetPhase: 'BUILD', artifacts: goodPlan, approvals: new Map() };
    expect(decideTransition(wf, input)).toEqual(decideTransition(wf, input));
    expect(Object.isFrozen(wf)).toBe(true);
    expect(Object.isFrozen(wf.phases[0].gates[0].blockers)).toBe(true);
    expect(() => (wf.phases as unknown as unknown[]).push({})).toThrow(TypeError);
  });
});

describe('decideCompletion', () => {
  it('completes from a final phase once its artifacts are present', () => {
    expect(isFinalPhase(wf, 'DONE')).toBe(true);
    expect(isFinalPhase(wf, 'BUILD')).toBe(false);
    expect(decideCompletion(wf, { phase: 'DONE', artifacts: { summary: 's' } })).toMatchObject({
      allowed: true,
    });
    expect(decideCompletion(wf, { phase: 'DONE', artifacts: {} })).toMatchObject({
      allowed: false,
      blockers: [expect.objectContaining({ check: 'artifact_required', artifact: 'summary' })],
    });
    expect(decideCompletion(wf, { phase: 'DONE', artifacts: {}, mode: 'permissive' })).toMatchObject({
      allowed: true,
    });
  });

  it('refuses to complete from a phase with transitions out', () => {
    expect(() => decideCompletion(wf, { phase: 'BUILD', artifacts: {} })).toThrow(
      expect.objectContaining({ code: 'not_final_phase' }),
    );
  });
});
