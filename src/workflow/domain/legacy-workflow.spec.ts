import { decideTool } from './tool-policy.js';
import { artifactDigest } from './artifact-digest.js';
import { decideTransition } from './transition-decision.js';
import { loadWorkflowFile } from './workflow.loader.js';

/** A file in the earlier Python orchestrator's format loads, lists what it ignores, and enforces. */
describe('test/fixtures/workflows/legacy_workflow.yaml', () => {
  const wf = loadWorkflowFile('test/fixtures/workflows/legacy_workflow.yaml');

  it('loads with its version as written and advisory read as audit', () => {
    expect(wf).toMatchObject({ name: 'legacy_agent_workflow', version: '1.0' });
    expect(wf.enforcement).toEqual({
      mode: 'audit',
      declared_mode: 'advisory',
      phase_tokens: {
        enabled: true,
        algorithm: 'HS256',
        secret_env_var: 'ORCHESTRATOR_JWT_SECRET',
        expiry_seconds: 3600,
      },
    });
    expect(wf.phases.map((p) => p.id)).toEqual(['PLAN', 'IMPLEMENTATION', 'REVIEW', 'DONE']);
  });

  it('keeps the keys it does not enforce, with their lines', () => {
    expect(wf.unenforced.map((u) => `${u.path}@${u.location.line}`)).toEqual([
      'validation@113',
      'coordination@115',
      'monitoring@118',
      'recovery@121',
      'phases[0].auto_advance@29',
      'phases[0].triggers@30',
      'phases[0].validation@33',
      'phases[1].auto_spawn@61',
    ]);
  });

  it('reads check params written inline and under params:', () => {
    const impl = wf.phases[1].gates[0].blockers[1];
    expect(impl).toMatchObject({
      check: 'coverage_threshold_met',
      severity: 'warning',
      params: { threshold: 75 },
    });
    expect(wf.phases[2].gates[0].blockers[0].params).toEqual({ required_reviews: 2 });
  });

  it('enforces tools in its own (audit) mode and in strict mode', () => {
    const policy = wf.runtime.toolPolicy;
    const input = {
      phase: 'IMPLEMENTATION',
      tool: 'write_files',
      args: { path: 'docs/x.md' },
      workspaceRoot: '/ws',
    };
    expect(decideTool(policy, input)).toMatchObject({ allowed: true, would_deny: true, mode: 'audit' });
    expect(decideTool(policy, { ...input, mode: 'strict' })).toMatchObject({
      allowed: false,
      rule: 'phases.IMPLEMENTATION.tool_constraints.write_files.allowed_patterns',
    });
    expect(decideTool(policy, { ...input, args: { path: 'src/app.py' }, mode: 'strict' }).allowed).toBe(true);
    expect(
      decideTool(policy, { ...input, tool: 'bash', args: { command: 'pytest -q; git push' }, mode: 'strict' })
        .allowed,
    ).toBe(false);
    expect(
      decideTool(policy, { ...input, phase: 'PLAN', tool: 'bash', args: {}, mode: 'strict' }).reason,
    ).toBe("tool 'bash' is not allowed in phase PLAN: its forbidden_tools name it");
  });

  it('enforces artifacts (schema file from schemas_dir and by path), gates and approvals', () => {
    const strict = (
      currentPhase: string,
      targetPhase: string,
      artifacts: Record<string, unknown>,
      approved: string[] = [],
    ) =>
      decideTransition(wf, {
        currentPhase,
        targetPhase,
        artifacts,
        approvals: new Map(approved.map((gate) => [gate, artifactDigest(artifacts)])),
        mode: 'strict',
      });

    const badPlan = strict('PLAN', 'IMPLEMENTATION', { plan_document: { acceptance_criteria: [] } }, [
      'plan_review',
    ]);
    expect(badPlan.blockers.map((b) => b.message)).toEqual([
      "plan_document: must have required property 'title'",
      'Plan must have acceptance criteria',
    ]);
    const plan = { plan_document: { title: 'p', acceptance_criteria: ['works'] } };
    expect(strict('PLAN', 'IMPLEMENTATION', plan).blockers.map((b) => b.check)).toEqual([
      'approval_required',
    ]);
    expect(strict('PLAN', 'IMPLEMENTATION', plan, ['plan_review']).allowed).toBe(true);

    const red = strict('IMPLEMENTATION', 'REVIEW', {
      test_run_result: { exit_code: 1, passed: 3, failed: 1, coverage: 60 },
    });
    expect(red.blockers.map((b) => b.message)).toEqual(['All tests must pass']);
    expect(red.warnings.map((w) => w.message)).toEqual(['Coverage should be at least 75%']);
    const schemaViolation = strict('IMPLEMENTATION', 'REVIEW', {
      test_run_result: { exit_code: 0, passed: -1, failed: 0 },
    });
    expect(schemaViolation.blockers[0].message).toBe('test_run_result/passed: must be >= 0');

    const review = {
      review_report: {
        reviews: [
          { model: 'a', status: 'completed' },
          { model: 'b', status: 'completed' },
        ],
      },
    };
    expect(strict('REVIEW', 'DONE', review).allowed).toBe(true);
    expect(
      decideTransition(wf, { currentPhase: 'REVIEW', targetPhase: 'DONE', artifacts: {} }),
    ).toMatchObject({
      allowed: true,
      mode: 'audit',
      would_block: [
        expect.objectContaining({ check: 'artifact_required' }),
        expect.anything(),
        expect.anything(),
      ],
    });
  });
});
