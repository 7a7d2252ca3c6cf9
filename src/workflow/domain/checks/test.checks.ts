import {
  asList,
  asObject,
  countField,
  criterionIds,
  type Json,
  numberParam,
  stringParam,
} from './artifact-readers.js';
import { type CheckDefinition, type CheckOutcome, type CheckParams, fail, pass } from './check.model.js';

const runArtifactParam = {
  artifact: { type: 'string' as const, description: 'test run artifact to read (default test_run_result)' },
};

type RunCounts = { exit_code: number; passed: number; failed: number; errors: number; skipped: number };

/** The counts of a test run, or a failed outcome naming the field that is missing. */
function readRun(
  artifacts: Readonly<Record<string, unknown>>,
  params: CheckParams,
): RunCounts | CheckOutcome {
  const name = stringParam(params, 'artifact', 'test_run_result');
  const run = asObject(artifacts[name]);
  if (!run) return fail(`artifact '${name}' is missing`, name);
  const exit = run['exit_code'];
  if (typeof exit !== 'number' || !Number.isInteger(exit)) {
    return fail(`${name} has no integer exit_code`, name, '/exit_code');
  }
  const passed = countField(run, 'passed');
  const failed = countField(run, 'failed');
  if (passed === undefined) return fail(`${name} has no 'passed' count`, name, '/passed');
  if (failed === undefined) return fail(`${name} has no 'failed' count`, name, '/failed');
  return {
    exit_code: exit,
    passed,
    failed,
    errors: countField(run, 'errors') ?? 0,
    skipped: countField(run, 'skipped') ?? 0,
  };
}

const isOutcome = (v: RunCounts | CheckOutcome): v is CheckOutcome =>
  'passed' in v && typeof v.passed === 'boolean';

export const testsExistForAcceptanceCriteria: CheckDefinition = {
  name: 'tests_exist_for_acceptance_criteria',
  description:
    'Every acceptance criterion of the plan (by `id`, else AC1, AC2…) is listed in the `covers` ' +
    'of some test file (test_files.files[].covers or files[].tests[].covers).',
  params: {
    plan_artifact: { type: 'string', description: 'plan artifact (default plan_document)' },
    tests_artifact: { type: 'string', description: 'test files artifact (default test_files)' },
  },
  run(artifacts, params) {
    const planName = stringParam(params, 'plan_artifact', 'plan_document');
    const testsName = stringParam(params, 'tests_artifact', 'test_files');
    const plan = asObject(artifacts[planName]);
    const tests = asObject(artifacts[testsName]);
    if (!plan) return fail(`artifact '${planName}' is missing`, planName);
    if (!tests) return fail(`artifact '${testsName}' is missing`, testsName);
    const ids = criterionIds(plan);
    if (ids.length === 0)
      return fail(`${planName} has no acceptance criteria to test`, planName, '/acceptance_criteria');
    const covered = new Set<string>();
    const addCovers = (entry: Json) => {
      for (const id of asList(entry['covers']) ?? []) if (typeof id === 'string') covered.add(id);
    };
    for (const file of asList(tests['files']) ?? []) {
      const f = asObject(file);
      if (!f) continue;
      addCovers(f);
      for (const t of asList(f['tests']) ?? []) {
        const test = asObject(t);
        if (test) addCovers(test);
      }
    }
    const missing = ids.filter((id) => !covered.has(id));
    if (missing.length > 0) {
      return fail(`no test covers acceptance criteria ${missing.join(', ')}`, testsName, '/files');
    }
    return pass(`all ${ids.length} acceptance criteria have tests`);
  },
};

export const testsAreFailing: CheckDefinition = {
  name: 'tests_are_failing',
  description:
    'The test run has failures (failed + errors > 0) and a non-zero exit code: the red step of TDD.',
  params: runArtifactParam,
  run(artifacts, params) {
    const run = readRun(artifacts, params);
    if (isOutcome(run)) return run;
    const name = stringParam(params, 'artifact', 'test_run_result');
    if (run.failed + run.errors === 0)
      return fail(`${name} reports no failing tests; write failing tests first`, name, '/failed');
    if (run.exit_code === 0) return fail(`${name} has failures but exit_code 0`, name, '/exit_code');
    return pass(`${run.failed + run.errors} failing test(s), exit code ${run.exit_code}`);
  },
};

export const allTestsPass: CheckDefinition = {
  name: 'all_tests_pass',
  description: 'The test run has 0 failures and 0 errors, exit code 0, and at least one passing test.',
  params: runArtifactParam,
  run(artifacts, params) {
    const run = readRun(artifacts, params);
    if (isOutcome(run)) return run;
    const name = stringParam(params, 'artifact', 'test_run_result');
    if (run.failed > 0) return fail(`${run.failed} test(s) failed`, name, '/failed');
    if (run.errors > 0) return fail(`${run.errors} test error(s)`, name, '/errors');
    if (run.exit_code !== 0) return fail(`test run exited with code ${run.exit_code}`, name, '/exit_code');
    if (run.passed < 1) return fail(`no test passed (0 tests run)`, name, '/passed');
    return pass(`${run.passed} test(s) passed`);
  },
};

export const noSkippedTests: CheckDefinition = {
  name: 'no_skipped_tests',
  description: 'The test run skipped no tests (`skipped` absent or 0).',
  params: runArtifactParam,
  run(artifacts, params) {
    const run = readRun(artifacts, params);
    if (isOutcome(run)) return run;
    const name = stringParam(params, 'artifact', 'test_run_result');
    if (run.skipped > 0) return fail(`${run.skipped} test(s) skipped`, name, '/skipped');
    return pass('no skipped tests');
  },
};

export const coverageThresholdMet: CheckDefinition = {
  name: 'coverage_threshold_met',
  description:
    "The run's coverage (a percentage, or an object of percentages by metric) is at least " +
    '`threshold` for `metric` (default lines).',
  params: {
    ...runArtifactParam,
    threshold: { type: 'number', required: true, min: 0, max: 100, description: 'minimum coverage percent' },
    metric: { type: 'string', description: 'lines | statements | branches | functions (default lines)' },
  },
  run(artifacts, params) {
    const name = stringParam(params, 'artifact', 'test_run_result');
    const threshold = numberParam(params, 'threshold', 0);
    const metric = stringParam(params, 'metric', 'lines');
    const run = asObject(artifacts[name]);
    if (!run) return fail(`artifact '${name}' is missing`, name);
    const coverage = run['coverage'];
    const value = typeof coverage === 'number' ? coverage : asObject(coverage)?.[metric];
    const pointer = typeof coverage === 'number' ? '/coverage' : `/coverage/${metric}`;
    if (typeof value !== 'number') return fail(`${name} reports no ${metric} coverage`, name, pointer);
    if (value < threshold) return fail(`${metric} coverage ${value}% is below ${threshold}%`, name, pointer);
    return pass(`${metric} coverage ${value}% ≥ ${threshold}%`);
  },
};

export const testsExist: CheckDefinition = {
  name: 'tests_exist',
  description: 'The test files artifact lists at least `min` (default 1) files.',
  params: {
    artifact: { type: 'string', description: 'test files artifact (default test_files)' },
    min: { type: 'integer', min: 1, description: 'minimum number of files (default 1)' },
  },
  run(artifacts, params) {
    const name = stringParam(params, 'artifact', 'test_files');
    const min = numberParam(params, 'min', 1);
    const files = asList(asObject(artifacts[name])?.['files']);
    if (!files) return fail(`${name} has no 'files' list`, name, '/files');
    if (files.length < min)
      return fail(`${name} lists ${files.length} file(s); at least ${min}`, name, '/files');
    return pass(`${files.length} test file(s)`);
  },
};

export const TEST_CHECKS: readonly CheckDefinition[] = [
  testsExistForAcceptanceCriteria,
  testsAreFailing,
  allTestsPass,
  noSkippedTests,
  coverageThresholdMet,
  testsExist,
];
