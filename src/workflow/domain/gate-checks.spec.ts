import { GATE_CHECKS, knownCheckNames, validateCheckParams } from './gate-checks.js';

describe('gate check registry', () => {
  it('holds every check DESIGN.md §6 names, plus extras', () => {
    expect(knownCheckNames()).toEqual(
      expect.arrayContaining([
        'plan_has_acceptance_criteria',
        'plan_has_implementation_steps',
        'scope_is_bounded',
        'no_open_questions',
        'tests_exist_for_acceptance_criteria',
        'tests_are_failing',
        'all_tests_pass',
        'no_skipped_tests',
        'coverage_threshold_met',
        'no_blocking_issues',
        'all_review_models_completed',
        'review_comments_addressed',
        'artifact_present',
        'tests_exist',
        'review_approved',
        'implementation_within_scope',
      ]),
    );
  });

  it('validates params by type', () => {
    const coverage = GATE_CHECKS.get('coverage_threshold_met')!;
    expect(validateCheckParams(coverage, { threshold: 80, metric: 'branches' })).toEqual([]);
    expect(validateCheckParams(coverage, {}).map((p) => p.message)).toEqual([
      "check 'coverage_threshold_met' needs parameter 'threshold'",
    ]);
    const reviews = GATE_CHECKS.get('all_review_models_completed')!;
    expect(validateCheckParams(reviews, { required_reviews: 2 })).toEqual([]);
    expect(validateCheckParams(reviews, { required_reviews: ['a', 'b'] })).toEqual([]);
    expect(validateCheckParams(reviews, { required_reviews: 0 })[0].message).toMatch(/must be a count ≥ 1/);
    expect(validateCheckParams(reviews, { required_reviews: [] })[0].message).toMatch(
      /count or a list of names/,
    );
    const issues = GATE_CHECKS.get('no_blocking_issues')!;
    expect(validateCheckParams(issues, { severities: 'critical' })[0].message).toMatch(
      /must be a list of strings/,
    );
    const steps = GATE_CHECKS.get('plan_has_implementation_steps')!;
    expect(validateCheckParams(steps, { min: 1.5 })[0].message).toMatch(/must be an integer/);
  });
});
