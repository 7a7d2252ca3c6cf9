import { decideCompletion } from './completion-decision.js';
import { decideTool } from './tool-policy.js';
import { artifactDigest } from './artifact-digest.js';
import { decideTransition } from './transition-decision.js';
import { loadWorkflowFile } from './workflow.loader.js';

const wf = loadWorkflowFile('workflows/agent_workflow.yaml');
const ROOT = '/srv/ws/task-1';

/** Artifacts an agent following the workflow would submit, phase by phase. */
const artifacts = {
  plan_document: {
    title: 'Login rate limit',
    summary: 'Limit failed logins per account.',
    acceptance_criteria: [
      { id: 'AC1', description: 'Five failures lock the account for 15 minutes' },
      { id: 'AC2', description: 'A success resets the counter' },
    ],
    implementation_steps: ['Add a counter', { description: 'Check it in the login handler' }],
    open_questions: [{ question: 'Redis or memory?', answer: 'memory for now' }],
  },
  scope_definition: {
    in_scope: ['login handler'],
    out_of_scope: ['signup'],
    files_to_modify: ['src/auth/**'],
  },
  test_files: { files: [{ path: 'tests/auth/rate-limit.spec.ts', covers: ['AC1', 'AC2'] }] },
  implementation_files: { files: [{ path: 'src/auth/rate-limit.ts', change_type: 'added' }] },
  review_report: {
    verdict: 'approve',
    reviews: [
      {
        model: 'reviewer-a',
        status: 'completed',
        verdict: 'approve',
        issues: [{ severity: 'minor', description: 'naming', status: 'addressed' }],
      },
    ],
  },
  completion_summary: {
    summary: 'Rate limit added',
    files_changed: ['src/auth/rate-limit.ts'],
    commit: 'abc1234',
  },
};
const red = { command: 'npm test', exit_code: 1, passed: 0, failed: 2 };
const green = {
  command: 'npm test',
  exit_code: 0,
  passed: 2,
  failed: 0,
  skipped: 0,
  coverage: { lines: 92 },
};

describe('workflows/agent_workflow.yaml', () => {
  it('loads cleanly, strict, with every phase and artifact the issue asks for', () => {
    expect(wf).toMatchObject({ name: 'agent_workflow', version: '1.0', unenforced: [] });
    expect(wf.enforcement.mode).toBe('strict');
    expect(wf.phases.map((p) => [p.id, p.required_artifacts.map((a) => a.type)])).toEqual([
      ['PLAN', ['plan_document', 'scope_definition']],
      ['TDD', ['test_files', 'test_run_result']],
      ['IMPL', ['implementation_files', 'test_run_result']],
      ['REVIEW', ['review_report']],
      ['COMPLETE', ['completion_summary']],
    ]);
    expect(
      wf.phases.every((p) =>
        p.required_artifacts.every((a) => a.schema && wf.runtime.validators.has(a.schema)),
      ),
    ).toBe(true);
    expect(wf.runtime.gates.get('plan_approved')?.spec.type).toBe('approval');
    expect(
      ['tests_written', 'implementation_complete', 'review_passed'].map(
        (g) => wf.runtime.gates.get(g)?.spec.type,
      ),
    ).toEqual(['validation', 'validation', 'review']);
  });

  it('walks PLAN → TDD → IMPL → REVIEW → COMPLETE with good artifacts', () => {
    const step = (
      currentPhase: string,
      targetPhase: string,
      extra: Record<string, unknown>,
      approved: string[] = [],
    ) => {
      const all = { ...artifacts, ...extra };
      const approvals = new Map(approved.map((gate) => [gate, artifactDigest(all)]));
      return decideTransition(wf, { currentPhase, targetPhase, artifacts: all, approvals });
    };
    expect(step('PLAN', 'TDD', {}).blockers.map((b) => b.check)).toEqual(['approval_required']);
    expect(step('PLAN', 'TDD', {}, ['plan_approved'])).toMatchObject({
      allowed: true,
      blockers: [],
      warnings: [],
    });
    expect(step('TDD', 'IMPL', { test_run_result: red })).toMatchObject({ allowed: true, blockers: [] });
    expect(step('IMPL', 'REVIEW', { test_run_result: green })).toMatchObject({
      allowed: true,
      blockers: [],
      warnings: [],
    });
    expect(step('REVIEW', 'COMPLETE', {})).toMatchObject({ allowed: true, blockers: [], warnings: [] });
    expect(decideCompletion(wf, { phase: 'COMPLETE', artifacts })).toMatchObject({ allowed: true });
  });

  it('blocks the shortcuts agents take', () => {
    const greenInTdd = decideTransition(wf, {
      currentPhase: 'TDD',
      targetPhase: 'IMPL',
      artifacts: { ...artifacts, test_run_result: green },
    });
    expect(greenInTdd.blockers.map((b) => b.check)).toEqual(['tests_are_failing']);
    const redInImpl = decideTransition(wf, {
      currentPhase: 'IMPL',
      targetPhase: 'REVIEW',
      artifacts: { ...artifacts, test_run_result: red },
    });
    expect(redInImpl.blockers.map((b) => b.check)).toEqual(['all_tests_pass']);
    expect(() => decideTransition(wf, { currentPhase: 'PLAN', targetPhase: 'IMPL', artifacts })).toThrow(
      expect.objectContaining({ code: 'no_such_transition' }),
    );
    const untested = {
      ...artifacts,
      test_files: { files: [{ path: 'tests/a.spec.ts', covers: ['AC1'] }] },
      test_run_result: red,
    };
    expect(
      decideTransition(wf, { currentPhase: 'TDD', targetPhase: 'IMPL', artifacts: untested }).blockers[0]
        .message,
    ).toBe('no test covers acceptance criteria AC2');
  });

  it('allows rework from REVIEW back to IMPL', () => {
    expect(decideTransition(wf, { currentPhase: 'REVIEW', targetPhase: 'IMPL', artifacts }).allowed).toBe(
      true,
    );
  });

  describe('tools', () => {
    const tool = (phase: string, name: string, args: Record<string, unknown> = {}) =>
      decideTool(wf.runtime.toolPolicy, { phase, tool: name, args, workspaceRoot: ROOT }).allowed;

    it('keeps PLAN and REVIEW read-only', () => {
      for (const phase of ['PLAN', 'REVIEW']) {
        expect(tool(phase, 'read_files', { path: 'src/a.ts' })).toBe(true);
        for (const name of ['write_files', 'edit_files', 'delete_files', 'bash', 'git_commit'])
          expect(tool(phase, name, { path: 'a' })).toBe(false);
      }
    });

    it('lets TDD write only test files and run only test commands', () => {
      expect(tool('TDD', 'write_files', { path: 'tests/auth/a.spec.ts' })).toBe(true);
      expect(tool('TDD', 'write_files', { path: 'src/auth/login.spec.ts' })).toBe(true);
      expect(tool('TDD', 'write_files', { path: 'src/auth/login.ts' })).toBe(false);
      expect(tool('TDD', 'edit_files', { path: 'src/auth/login.ts' })).toBe(false);
      expect(tool('TDD', 'write_files', { path: 'tests/../src/login.ts' })).toBe(false);
      expect(tool('TDD', 'bash', { command: 'npx jest tests/auth' })).toBe(true);
      expect(tool('TDD', 'bash', { command: 'npm install left-pad' })).toBe(false);
    });

    it('lets IMPL write sources but not secrets, and not commit', () => {
      expect(tool('IMPL', 'write_files', { path: 'src/auth/login.ts' })).toBe(true);
      expect(tool('IMPL', 'write_files', { path: '.env' })).toBe(false);
      expect(tool('IMPL', 'bash', { command: 'npm run build' })).toBe(true);
      expect(tool('IMPL', 'bash', { command: 'npm publish' })).toBe(false);
      expect(tool('IMPL', 'git_commit', { message: 'x' })).toBe(false);
    });

    it('allows git_commit only in COMPLETE', () => {
      expect(wf.phases.filter((p) => tool(p.id, 'git_commit', { message: 'm' })).map((p) => p.id)).toEqual([
        'COMPLETE',
      ]);
      expect(tool('COMPLETE', 'git_commit', { message: 'm', paths: ['config/.env'] })).toBe(false);
      expect(wf.phases.some((p) => tool(p.id, 'git_push'))).toBe(false);
    });
  });
});
