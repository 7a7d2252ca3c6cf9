import {
  noOpenQuestions,
  planHasAcceptanceCriteria,
  planHasImplementationSteps,
  scopeIsBounded,
} from './plan.checks.js';

const plan = (fields: Record<string, unknown>) => ({ plan_document: { title: 't', ...fields } });

describe('plan_has_acceptance_criteria', () => {
  const run = (a: Record<string, unknown>, p = {}) => planHasAcceptanceCriteria.run(a, p);

  it('passes with criteria as objects or strings', () => {
    expect(run(plan({ acceptance_criteria: [{ id: 'AC1', description: 'logs in' }] })).passed).toBe(true);
    expect(run(plan({ acceptance_criteria: ['logs in'] })).passed).toBe(true);
  });

  it('reads criteria in the earlier format {criterion, how_to_verify} (its schemas/plan.json)', () => {
    const earlier = [{ criterion: 'Users can log in', how_to_verify: 'POST /login answers 200' }];
    expect(run(plan({ acceptance_criteria: earlier }))).toMatchObject({ passed: true });
    // Only how_to_verify, or another text field: still words.
    expect(run(plan({ acceptance_criteria: [{ how_to_verify: 'run the suite' }] })).passed).toBe(true);
    expect(run(plan({ acceptance_criteria: [{ id: 'AC1', goal: 'fast login' }] })).passed).toBe(true);
  });

  it('calls an entry empty only when no text field has words (labels are not words)', () => {
    for (const entry of [{ criterion: '  ', how_to_verify: '' }, { id: 'AC1', status: 'open' }, {}]) {
      expect(run(plan({ acceptance_criteria: [entry] }))).toMatchObject({
        passed: false,
        pointer: '/acceptance_criteria/0',
      });
    }
  });

  it('fails when the list is missing, empty, has a blank entry, or is short of min', () => {
    expect(run(plan({}))).toMatchObject({ passed: false, pointer: '/acceptance_criteria' });
    expect(run(plan({ acceptance_criteria: [] })).detail).toBe(
      'plan_document/acceptance_criteria has 0 entries; at least 1 required',
    );
    expect(run(plan({ acceptance_criteria: ['a', { id: 'AC2', description: ' ' }] }))).toMatchObject({
      passed: false,
      pointer: '/acceptance_criteria/1',
    });
    expect(run(plan({ acceptance_criteria: ['a'] }), { min: 2 }).passed).toBe(false);
  });

  it('fails when the artifact is missing, and reads another artifact when told', () => {
    expect(run({})).toMatchObject({
      passed: false,
      artifact: 'plan_document',
      detail: "artifact 'plan_document' is missing",
    });
    expect(run({ spec: { acceptance_criteria: ['x'] } }, { artifact: 'spec' }).passed).toBe(true);
  });
});

describe('plan_has_implementation_steps', () => {
  it('passes with steps and fails without', () => {
    expect(planHasImplementationSteps.run(plan({ implementation_steps: ['write it'] }), {}).passed).toBe(
      true,
    );
    expect(planHasImplementationSteps.run(plan({ implementation_steps: [] }), {})).toMatchObject({
      passed: false,
      pointer: '/implementation_steps',
    });
  });
});

describe('scope_is_bounded', () => {
  const scope = (s: Record<string, unknown>) => ({ scope_definition: s });
  const bounded = { in_scope: ['login form'], out_of_scope: ['signup'], files_to_modify: ['src/login.ts'] };

  it('passes for an explicit, small scope', () => {
    expect(scopeIsBounded.run(scope(bounded), {}).passed).toBe(true);
    expect(scopeIsBounded.run(scope({ in_scope: ['x'], out_of_scope: [] }), {}).passed).toBe(true);
  });

  it('fails without in_scope, without out_of_scope, with a whole-tree pattern, or too many files', () => {
    expect(scopeIsBounded.run(scope({ ...bounded, in_scope: [] }), {})).toMatchObject({
      passed: false,
      pointer: '/in_scope',
    });
    expect(scopeIsBounded.run(scope({ in_scope: ['x'] }), {})).toMatchObject({
      passed: false,
      pointer: '/out_of_scope',
    });
    expect(
      scopeIsBounded.run(scope({ ...bounded, files_to_modify: ['src/a.ts', '**/*'] }), {}),
    ).toMatchObject({
      passed: false,
      pointer: '/files_to_modify/1',
    });
    const many = { ...bounded, files_to_modify: ['a', 'b', 'c'] };
    expect(scopeIsBounded.run(scope(many), { max_files: 2 }).detail).toBe(
      'scope_definition/files_to_modify lists 3 files; at most 2',
    );
    expect(scopeIsBounded.run({}, {}).passed).toBe(false);
  });
});

describe('no_open_questions', () => {
  it('passes with no questions or only resolved ones', () => {
    expect(noOpenQuestions.run(plan({}), {}).passed).toBe(true);
    const resolved = [
      { question: 'a?', resolved: true },
      { question: 'b?', answer: 'yes' },
      { question: 'c?', status: 'answered' },
    ];
    expect(noOpenQuestions.run(plan({ open_questions: resolved }), {}).passed).toBe(true);
  });

  it('fails on a plain string or an unresolved question, pointing at the first', () => {
    expect(
      noOpenQuestions.run(plan({ open_questions: [{ question: 'a?', resolved: true }, 'which db?'] }), {}),
    ).toMatchObject({
      passed: false,
      pointer: '/open_questions/1',
      detail: "1 open question(s), first: 'which db?'",
    });
    expect(
      noOpenQuestions.run(plan({ open_questions: [{ question: 'x?', resolved: false }] }), {}).passed,
    ).toBe(false);
  });
});
