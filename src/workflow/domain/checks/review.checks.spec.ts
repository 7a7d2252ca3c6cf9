import {
  allReviewModelsCompleted,
  implementationWithinScope,
  noBlockingIssues,
  reviewApproved,
  reviewCommentsAddressed,
} from './review.checks.js';

const report = (r: Record<string, unknown>) => ({ review_report: r });

describe('no_blocking_issues', () => {
  it('passes when blocking issues are addressed and others are minor', () => {
    const r = report({
      reviews: [
        {
          model: 'a',
          status: 'completed',
          issues: [{ severity: 'critical', description: 'x', status: 'addressed' }],
        },
      ],
      issues: [{ severity: 'minor', description: 'nit' }],
    });
    expect(noBlockingIssues.run(r, {}).passed).toBe(true);
  });

  it('fails on an open critical/major issue, pointing at it', () => {
    const r = report({
      reviews: [
        { model: 'a', status: 'completed', comments: [{ severity: 'major', description: 'sql injection' }] },
      ],
    });
    expect(noBlockingIssues.run(r, {})).toMatchObject({
      passed: false,
      pointer: '/reviews/0/comments/0',
      detail: "1 open blocking issue(s), first (major): 'sql injection'",
    });
    expect(noBlockingIssues.run(r, { severities: ['critical'] }).passed).toBe(true);
    expect(noBlockingIssues.run({}, {}).passed).toBe(false);
  });
});

describe('all_review_models_completed', () => {
  const r = report({
    reviews: [
      { model: 'gpt', status: 'completed' },
      { model: 'claude', status: 'pending' },
    ],
  });

  it('counts completed reviews against a number', () => {
    expect(allReviewModelsCompleted.run(r, {}).passed).toBe(true);
    expect(allReviewModelsCompleted.run(r, { required_reviews: 2 })).toMatchObject({
      passed: false,
      detail: '1 of 2 required reviews completed',
    });
  });

  it('requires each named reviewer to have completed', () => {
    expect(allReviewModelsCompleted.run(r, { required_reviews: ['gpt'] }).passed).toBe(true);
    expect(allReviewModelsCompleted.run(r, { required_reviews: ['gpt', 'claude'] }).detail).toBe(
      'no completed review from claude',
    );
    expect(allReviewModelsCompleted.run({}, {}).passed).toBe(false);
  });
});

describe('review_comments_addressed', () => {
  it('passes when every issue and comment is addressed', () => {
    const r = report({
      reviews: [
        {
          model: 'a',
          status: 'completed',
          comments: [
            { description: 'x', addressed: true },
            { description: 'y', status: 'wont_fix' },
          ],
        },
      ],
    });
    expect(reviewCommentsAddressed.run(r, {}).passed).toBe(true);
    expect(reviewCommentsAddressed.run(report({ reviews: [] }), {}).passed).toBe(true);
  });

  it('fails on any open comment, whatever its severity', () => {
    const r = report({ issues: [{ severity: 'info', description: 'rename x', status: 'open' }] });
    expect(reviewCommentsAddressed.run(r, {})).toMatchObject({ passed: false, pointer: '/issues/0' });
    expect(reviewCommentsAddressed.run({}, {}).passed).toBe(false);
  });
});

describe('review_approved', () => {
  it('uses the report verdict when present', () => {
    expect(reviewApproved.run(report({ verdict: 'approve' }), {}).passed).toBe(true);
    expect(reviewApproved.run(report({ verdict: 'request_changes' }), {})).toMatchObject({
      passed: false,
      pointer: '/verdict',
    });
  });

  it('otherwise needs every completed review to approve', () => {
    const approve = { model: 'a', status: 'completed', verdict: 'approve' };
    expect(reviewApproved.run(report({ reviews: [approve] }), {}).passed).toBe(true);
    expect(
      reviewApproved.run(
        report({ reviews: [approve, { model: 'b', status: 'completed', verdict: 'comment' }] }),
        {},
      ).detail,
    ).toBe("reviewer 'b' did not approve");
    expect(reviewApproved.run(report({ reviews: [] }), {}).passed).toBe(false);
  });
});

describe('implementation_within_scope', () => {
  const scope = {
    scope_definition: { in_scope: ['x'], out_of_scope: [], files_to_modify: ['src/auth/**', 'README.md'] },
  };

  it('passes when every changed file matches the scope (or the scope lists none)', () => {
    const impl = {
      implementation_files: { files: [{ path: 'src/auth/login.ts' }, { path: './README.md' }] },
    };
    expect(implementationWithinScope.run({ ...scope, ...impl }, {}).passed).toBe(true);
    expect(
      implementationWithinScope.run({ implementation_files: { files: [{ path: 'anything' }] } }, {}).passed,
    ).toBe(true);
  });

  it('fails on a file outside the scope', () => {
    const impl = { implementation_files: { files: [{ path: 'src/auth/a.ts' }, { path: 'src/billing.ts' }] } };
    expect(implementationWithinScope.run({ ...scope, ...impl }, {})).toMatchObject({
      passed: false,
      pointer: '/files/1',
    });
    expect(implementationWithinScope.run(scope, {}).passed).toBe(false);
  });
});
