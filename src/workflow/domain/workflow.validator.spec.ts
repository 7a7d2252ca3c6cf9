import { WorkflowLoadError, type WorkflowProblem } from './workflow-load.error.js';
import { loadWorkflowText, tryLoadWorkflowText } from './workflow.loader.js';
import { type WorkflowFiles } from './workflow.parser.js';

const problemsOf = (text: string): WorkflowProblem[] => [...tryLoadWorkflowText(text, 'wf.yaml').problems];

/** Exactly one problem, on `line`, whose message matches. */
function expectOnlyProblem(text: string, line: number, message: RegExp, fix?: RegExp): WorkflowProblem {
  const problems = problemsOf(text);
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatchObject({ file: 'wf.yaml', line });
  expect(problems[0].message).toMatch(message);
  if (fix) expect(problems[0].fix).toMatch(fix);
  return problems[0];
}

const VALID = `name: t
version: "1"
phases:
  - id: A
    allowed_tools: [read_files]
    gates:
      - id: g1
        type: validation
        blockers:
          - check: all_tests_pass
  - id: B
transitions:
  - from: A
    to: B
    gate: g1
`;

describe('workflow validation', () => {
  it('accepts the valid base document', () => {
    expect(problemsOf(VALID)).toEqual([]);
  });

  it('reports invalid YAML at its position', () => {
    const text = `name: t
phases:
  - id: A
    allowed_tools: [read_files
transitions: []
`;
    const problems = problemsOf(text);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0].message).toMatch(/^invalid YAML/);
    expect(problems[0].line).toBeGreaterThanOrEqual(4);
  });

  it('reports a duplicate YAML key', () => {
    expectOnlyProblem(
      VALID.replace('  - id: B\n', '  - id: B\n    id: C\n'),
      12,
      /invalid YAML: Map keys must be unique/,
    );
  });

  it('reports a duplicate phase id at the second one', () => {
    const text = VALID.replace('  - id: B\n', '  - id: B\n  - id: A\n');
    expectOnlyProblem(text, 12, /duplicate phase id 'A' \(first defined at line 4\)/, /unique/);
  });

  it('reports a transition to an undefined phase with a suggestion', () => {
    const text = VALID + '  - from: B\n    to: C\n  - from: B\n    to: AA\n';
    const problems = problemsOf(text);
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [17, "transition to undefined phase 'C'"],
      [19, "transition to undefined phase 'AA'"],
    ]);
    expect(problems[1].fix).toBe("did you mean 'A'?");
  });

  it('reports a transition from an undefined phase', () => {
    expectOnlyProblem(
      VALID + '  - from: NOWHERE\n    to: A\n',
      16,
      /transition from undefined phase 'NOWHERE'/,
      /defined phases: A, B/,
    );
  });

  it('reports a transition naming an undefined gate', () => {
    expectOnlyProblem(
      VALID.replace('gate: g1', 'gate: g2'),
      15,
      /names undefined gate 'g2'/,
      /did you mean 'g1'/,
    );
  });

  it('reports a gate owned by neither end of the transition', () => {
    const text = VALID.replace(
      '  - id: B\n',
      '  - id: B\n  - id: C\n    gates:\n      - id: g3\n        type: approval\n        blockers: []\n',
    ).concat(
      '  - from: B\n    to: C\n  - from: A\n    to: C\n    gate: g1\n  - from: B\n    to: A\n    gate: g3\n',
    );
    expectOnlyProblem(text, 28, /gate 'g3' belongs to phase C, not to B or A/);
  });

  it('reports a duplicate transition', () => {
    expectOnlyProblem(
      VALID + '  - from: A\n    to: B\n',
      16,
      /transition A → B is defined twice \(first at line 13\)/,
    );
  });

  it('reports a gate without a blockers list', () => {
    const text = VALID.replace('        blockers:\n          - check: all_tests_pass\n', '');
    expectOnlyProblem(text, 7, /gate 'g1' has no blockers list/, /add 'blockers:'/);
  });

  it('reports an empty blockers list on a validation gate but not on an approval gate', () => {
    const empty = VALID.replace(
      '        blockers:\n          - check: all_tests_pass\n',
      '        blockers: []\n',
    );
    expectOnlyProblem(empty, 9, /validation gate 'g1' has an empty blockers list/);
    expect(problemsOf(empty.replace('type: validation', 'type: approval'))).toEqual([]);
  });

  it('reports an unknown check and lists the known ones', () => {
    const p = expectOnlyProblem(
      VALID.replace('check: all_tests_pass', 'check: all_test_pass'),
      10,
      /unknown check 'all_test_pass'/,
    );
    expect(p.fix).toMatch(/did you mean 'all_tests_pass'\?/);
    expect(p.fix).toMatch(/known checks: .*coverage_threshold_met.*no_blocking_issues/);
  });

  it('reports bad check params: unknown, wrong type, missing', () => {
    const text = VALID.replace(
      'check: all_tests_pass',
      'check: coverage_threshold_met\n            treshold: 80',
    );
    const problems = problemsOf(text);
    expect(problems.map((p) => [p.line, p.message, p.fix])).toEqual([
      [
        10,
        "check 'coverage_threshold_met' needs parameter 'threshold'",
        "add 'threshold: …' (minimum coverage percent)",
      ],
      [11, "check 'coverage_threshold_met' has no parameter 'treshold'", "did you mean 'threshold'?"],
    ]);
    const wrong = VALID.replace(
      'check: all_tests_pass',
      'check: coverage_threshold_met\n            params: { threshold: high }',
    );
    expectOnlyProblem(wrong, 11, /parameter 'threshold' of 'coverage_threshold_met' must be a number/);
    const range = VALID.replace(
      'check: all_tests_pass',
      'check: coverage_threshold_met\n            threshold: 140',
    );
    expectOnlyProblem(range, 11, /must be between 0 and 100/);
  });

  it('reports a misspelled severity, gate type and mode with the closest value', () => {
    const text = VALID.replace(
      'check: all_tests_pass',
      'check: all_tests_pass\n            severity: blockng',
    )
      .replace('type: validation', 'type: aproval')
      .concat('enforcement:\n  mode: permisive\n');
    const problems = problemsOf(text);
    expect(problems.map((p) => [p.line, p.message, p.fix])).toEqual([
      [8, "invalid type 'aproval'; expected one of approval, validation, review", "did you mean 'approval'?"],
      [11, "invalid severity 'blockng'; expected one of blocking, warning, info", "did you mean 'blocking'?"],
      [
        18,
        "invalid mode 'permisive'; expected one of strict, permissive, audit",
        "did you mean 'permissive'?",
      ],
    ]);
  });

  it('reports a phase unreachable from the first phase', () => {
    const text = VALID.replace('  - id: B\n', '  - id: B\n  - id: C\n');
    expectOnlyProblem(text, 12, /phase 'C' is unreachable from the first phase 'A'/, /add a transition to C/);
  });

  it('reports an artifact naming a missing schema', () => {
    const text = VALID.replace(
      '    allowed_tools: [read_files]\n',
      '    allowed_tools: [read_files]\n    required_artifacts:\n      - type: plan\n        schema: plan_documnt\n',
    ).concat('schemas:\n  plan_document: { type: object }\n');
    expectOnlyProblem(
      text,
      8,
      /artifact 'plan' names undefined schema 'plan_documnt'/,
      /did you mean 'plan_document'/,
    );
  });

  it('reports a draft-07 schema that does not compile, at the property that is wrong', () => {
    const text = VALID.concat('schemas:\n  plan:\n    type: objekt\n');
    expectOnlyProblem(
      text,
      18,
      /schema 'plan' is invalid \(draft-07\): \/type must be equal to one of the allowed values: "array", "boolean"/,
    );
  });

  it('points a nested schema error at its own line, inline, in a phase, or in a schema file', () => {
    const inline = VALID.concat(
      'schemas:\n  plan:\n    type: object\n    properties:\n      summary:\n        type: string\n        minLength: "5"\n',
    );
    expect(expectOnlyProblem(inline, 22, /\/properties\/summary\/minLength must be integer/)).toMatchObject({
      col: 20,
    });
    const inPhase = VALID.replace(
      '    allowed_tools: [read_files]\n',
      '    allowed_tools: [read_files]\n    required_artifacts:\n      - type: plan\n        schema:\n          type: object\n          required: plan\n',
    );
    expectOnlyProblem(inPhase, 10, /schema 'A\.plan' is invalid \(draft-07\): \/required must be array/);
    const files: WorkflowFiles = {
      read: (path) => ({
        path,
        text: '{\n  "type": "object",\n  "properties": {\n    "n": { "type": "integr" }\n  }\n}\n',
      }),
      list: (path) => ({ path, error: 'ENOENT' }),
    };
    const fromFile = VALID.replace(
      '    allowed_tools: [read_files]\n',
      '    allowed_tools: [read_files]\n    required_artifacts:\n      - { type: plan, schema: schemas/plan.json }\n',
    );
    expect(tryLoadWorkflowText(fromFile, 'wf.yaml', files).problems).toEqual([
      expect.objectContaining({
        file: 'schemas/plan.json',
        line: 4,
        message: expect.stringMatching(
          /^schema 'schemas\/plan\.json' is invalid \(draft-07\): \/properties\/n\/type must/,
        ),
      }),
    ]);
  });

  it('reports a 2020-12 schema that does not compile (unknown keyword in strict mode)', () => {
    const text = VALID.concat(
      'schemas:\n  plan:\n    $schema: "https://json-schema.org/draft/2020-12/schema"\n    type: object\n    minProperty: 1\n',
    );
    // Located at the keyword, though Ajv names no path for it.
    expectOnlyProblem(
      text,
      20,
      /schema 'plan' (does not compile|is invalid \(2020-12\)): strict mode: unknown keyword: "minProperty"/,
    );
  });

  it('reports an unresolvable $ref and an unsupported $schema', () => {
    const text = VALID.concat(
      'schemas:\n  a:\n    $ref: "#/definitions/nope"\n  b:\n    $schema: "http://json-schema.org/draft-04/schema#"\n',
    );
    const problems = problemsOf(text);
    expect(problems.map((p) => p.line)).toEqual([17, 19]);
    expect(problems[0].message).toMatch(
      /^schema 'a' does not compile: can't resolve reference #\/definitions\/nope/,
    );
    expect(problems[1].message).toMatch(/^schema 'b' declares an unsupported \$schema/);
    expect(problems[1].fix).toMatch(/draft-07.*2020-12/);
  });

  it('compiles 2020-12 schemas with 2020-12 keywords', () => {
    const text = VALID.concat(
      'schemas:\n  plan:\n    $schema: "https://json-schema.org/draft/2020-12/schema"\n    type: array\n    prefixItems: [{ type: string }]\n',
    );
    expect(problemsOf(text)).toEqual([]);
  });

  it('reports a near-miss key instead of keeping it as not enforced', () => {
    const text = VALID.replace(
      '    allowed_tools: [read_files]\n',
      '    allowed_tools: [read_files]\n    forbiden_tools: [bash]\n',
    );
    expectOnlyProblem(text, 6, /unknown key 'forbiden_tools'/, /did you mean 'forbidden_tools'/);
  });

  it('reports invalid declarative checks: bad op, bad regex, missing value, bad pointer', () => {
    const rule = (r: string) => VALID.replace('check: all_tests_pass', `check: ${r}`);
    expectOnlyProblem(
      rule('{ artifact: plan, pointer: /a, op: greater, value: 1 }'),
      10,
      /invalid op "greater"/,
    );
    expectOnlyProblem(
      rule('{ artifact: plan, pointer: /a, op: matches, value: "a(" }'),
      10,
      /invalid regular expression/,
    );
    expectOnlyProblem(rule('{ artifact: plan, pointer: /a, op: gte }'), 10, /op 'gte' needs a 'value'/);
    expectOnlyProblem(
      rule('{ artifact: plan, pointer: a.b, op: exists }'),
      10,
      /'pointer' must be a JSON pointer/,
    );
    expectOnlyProblem(
      rule('{ artifact: plan, pointer: /a, op: min_items, value: -1 }'),
      10,
      /non-negative integer/,
    );
    expectOnlyProblem(rule('{ pointer: /a, op: exists }'), 10, /needs 'artifact'/);
    expectOnlyProblem(
      rule('{ artifact: plan, pointer: /a, op: exists, vale: 1 }'),
      10,
      /unknown key 'vale'.*/,
      /did you mean 'value'/,
    );
  });

  it('reports every problem of a file in one pass, in line order', () => {
    const text = `name: t
phases:
  - id: A
    gates:
      - id: g1
        type: validaton
        blockers:
          - check: no_such_check
  - id: A
  - id: C
transitions:
  - from: A
    to: B
    gate: nope
enforcement:
  mode: strickt
`;
    const error = (() => {
      try {
        loadWorkflowText(text, 'wf.yaml');
      } catch (err) {
        return err;
      }
      throw new Error('expected a load error');
    })();
    expect(error).toBeInstanceOf(WorkflowLoadError);
    const problems = (error as WorkflowLoadError).problems;
    expect(problems.map((p) => p.line)).toEqual([6, 8, 9, 10, 13, 14, 16]);
    expect((error as WorkflowLoadError).code).toBe('workflow_invalid');
    expect((error as WorkflowLoadError).message).toMatch(
      /^workflow failed to load \(7 problems\):\nwf\.yaml:6:15: invalid type/,
    );
    expect((error as WorkflowLoadError).message).toMatch(/\n {4}fix: did you mean 'validation'\?/);
  });
});
