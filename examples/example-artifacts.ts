/** Realistic artifacts for each phase of the default workflow, shaped by its schemas (workflows/agent_workflow.yaml). */
export function artifactsFor(title: string) {
  return {
    PLAN: {
      plan_document: {
        title,
        summary: `Plan for "${title}": a per-subject token bucket in front of the agent API.`,
        acceptance_criteria: [
          { id: 'AC1', description: 'A subject over its limit gets 429 with Retry-After' },
          { id: 'AC2', description: 'Other subjects are unaffected' },
        ],
        implementation_steps: ['Write the limiter', 'Wire it as a guard', 'Document the setting'],
        open_questions: [],
      },
      scope_definition: {
        in_scope: ['src/limits/**'],
        out_of_scope: ['nginx config'],
        files_to_modify: ['src/limits/limiter.ts', 'tests/limiter.test.ts'],
      },
    },
    TDD: {
      test_files: { files: [{ path: 'tests/limiter.test.ts', covers: ['AC1', 'AC2'] }] },
      // Tests written first must fail: that is what the tests_written gate checks.
      test_run_result: {
        command: 'npm test',
        framework: 'jest',
        exit_code: 1,
        passed: 0,
        failed: 2,
        skipped: 0,
      },
    },
    IMPL: {
      implementation_files: {
        summary: 'Token bucket per subject',
        files: [{ path: 'src/limits/limiter.ts', change_type: 'added' }],
      },
      test_run_result: {
        command: 'npm test',
        framework: 'jest',
        exit_code: 0,
        passed: 2,
        failed: 0,
        skipped: 0,
        coverage: 91,
      },
    },
    REVIEW: {
      review_report: {
        verdict: 'approve',
        reviews: [{ model: 'reviewer-a', status: 'completed', verdict: 'approve', issues: [] }],
      },
    },
    COMPLETE: {
      completion_summary: {
        summary: `${title}: done, with tests`,
        files_changed: ['src/limits/limiter.ts', 'tests/limiter.test.ts'],
        commit: 'abc1234',
      },
    },
  };
}
