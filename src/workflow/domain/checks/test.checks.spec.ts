import {
  allTestsPass,
  coverageThresholdMet,
  noSkippedTests,
  testsAreFailing,
  testsExist,
  testsExistForAcceptanceCriteria,
} from './test.checks.js';

const run = (fields: Record<string, unknown>) => ({
  test_run_result: { command: 'npm test', exit_code: 0, passed: 3, failed: 0, ...fields },
});

describe('tests_exist_for_acceptance_criteria', () => {
  const plan = {
    acceptance_criteria: [
      { id: 'AC1', description: 'a' },
      { id: 'AC2', description: 'b' },
    ],
  };

  it('passes when every criterion id is covered by a file or a test', () => {
    const tests = {
      files: [
        { path: 't/a.spec.ts', covers: ['AC1'] },
        { path: 't/b.spec.ts', tests: [{ name: 'b', covers: ['AC2'] }] },
      ],
    };
    expect(testsExistForAcceptanceCriteria.run({ plan_document: plan, test_files: tests }, {}).passed).toBe(
      true,
    );
  });

  it('numbers string criteria AC1, AC2…', () => {
    const artifacts = {
      plan_document: { acceptance_criteria: ['a', 'b'] },
      test_files: { files: [{ path: 'x', covers: ['AC1', 'AC2'] }] },
    };
    expect(testsExistForAcceptanceCriteria.run(artifacts, {}).passed).toBe(true);
  });

  it('fails naming the uncovered criteria, and when an artifact or the criteria are missing', () => {
    const tests = { files: [{ path: 't/a.spec.ts', covers: ['AC1'] }] };
    expect(testsExistForAcceptanceCriteria.run({ plan_document: plan, test_files: tests }, {})).toMatchObject(
      {
        passed: false,
        detail: 'no test covers acceptance criteria AC2',
        artifact: 'test_files',
      },
    );
    expect(testsExistForAcceptanceCriteria.run({ plan_document: plan }, {}).detail).toBe(
      "artifact 'test_files' is missing",
    );
    expect(testsExistForAcceptanceCriteria.run({ test_files: tests }, {}).detail).toBe(
      "artifact 'plan_document' is missing",
    );
    expect(testsExistForAcceptanceCriteria.run({ plan_document: {}, test_files: tests }, {}).passed).toBe(
      false,
    );
  });
});

describe('tests_are_failing', () => {
  it('passes with failures (or errors) and a non-zero exit code', () => {
    expect(testsAreFailing.run(run({ failed: 2, exit_code: 1 }), {}).passed).toBe(true);
    expect(testsAreFailing.run(run({ failed: 0, errors: 1, exit_code: 1 }), {}).passed).toBe(true);
  });

  it('fails when nothing fails, when the exit code is 0, or when counts are missing', () => {
    expect(testsAreFailing.run(run({ exit_code: 1 }), {})).toMatchObject({
      passed: false,
      pointer: '/failed',
    });
    expect(testsAreFailing.run(run({ failed: 2, exit_code: 0 }), {})).toMatchObject({
      passed: false,
      pointer: '/exit_code',
    });
    expect(testsAreFailing.run({ test_run_result: { exit_code: 1, passed: 0 } }, {})).toMatchObject({
      passed: false,
      pointer: '/failed',
    });
    expect(testsAreFailing.run({ test_run_result: { passed: 0, failed: 1 } }, {})).toMatchObject({
      passed: false,
      pointer: '/exit_code',
    });
    expect(testsAreFailing.run({}, {}).passed).toBe(false);
  });
});

describe('all_tests_pass', () => {
  it('passes with no failures, exit 0 and at least one pass', () => {
    expect(allTestsPass.run(run({}), {})).toMatchObject({ passed: true, detail: '3 test(s) passed' });
  });

  it('fails on failures, errors, a non-zero exit, or nothing run', () => {
    expect(allTestsPass.run(run({ failed: 1, exit_code: 1 }), {}).detail).toBe('1 test(s) failed');
    expect(allTestsPass.run(run({ errors: 2 }), {}).detail).toBe('2 test error(s)');
    expect(allTestsPass.run(run({ exit_code: 2 }), {}).detail).toBe('test run exited with code 2');
    expect(allTestsPass.run(run({ passed: 0 }), {}).detail).toBe('no test passed (0 tests run)');
  });
});

describe('no_skipped_tests', () => {
  it('passes with skipped absent or 0 and fails otherwise', () => {
    expect(noSkippedTests.run(run({}), {}).passed).toBe(true);
    expect(noSkippedTests.run(run({ skipped: 0 }), {}).passed).toBe(true);
    expect(noSkippedTests.run(run({ skipped: 2 }), {})).toMatchObject({
      passed: false,
      detail: '2 test(s) skipped',
      pointer: '/skipped',
    });
  });
});

describe('coverage_threshold_met', () => {
  it('reads a percentage or a metric of an object', () => {
    expect(coverageThresholdMet.run(run({ coverage: 85 }), { threshold: 80 }).passed).toBe(true);
    expect(
      coverageThresholdMet.run(run({ coverage: { lines: 80, branches: 50 } }), { threshold: 80 }).passed,
    ).toBe(true);
    expect(
      coverageThresholdMet.run(run({ coverage: { lines: 90, branches: 50 } }), {
        threshold: 80,
        metric: 'branches',
      }),
    ).toMatchObject({
      passed: false,
      detail: 'branches coverage 50% is below 80%',
      pointer: '/coverage/branches',
    });
  });

  it('fails below the threshold or without coverage', () => {
    expect(coverageThresholdMet.run(run({ coverage: 79.9 }), { threshold: 80 })).toMatchObject({
      passed: false,
      pointer: '/coverage',
    });
    expect(coverageThresholdMet.run(run({}), { threshold: 80 }).detail).toBe(
      'test_run_result reports no lines coverage',
    );
    expect(coverageThresholdMet.run({}, { threshold: 80 }).passed).toBe(false);
  });
});

describe('tests_exist', () => {
  it('passes with files and fails without', () => {
    expect(testsExist.run({ test_files: { files: [{ path: 'a' }] } }, {}).passed).toBe(true);
    expect(testsExist.run({ test_files: { files: [] } }, {}).passed).toBe(false);
    expect(testsExist.run({ test_files: { files: [{ path: 'a' }] } }, { min: 2 }).passed).toBe(false);
    expect(testsExist.run({}, {}).passed).toBe(false);
  });
});
