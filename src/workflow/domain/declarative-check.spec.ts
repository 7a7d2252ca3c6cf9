import { compileDeclarativeCheck } from './declarative-check.js';
import { type DeclarativeCheckSpec } from './workflow.model.js';
import { loadWorkflowText } from './workflow.loader.js';
import { decideTransition } from './transition-decision.js';

const check = (spec: DeclarativeCheckSpec) => compileDeclarativeCheck(spec);
const artifacts = {
  plan: { risks: ['x', 'y'], title: 'Login form', score: 7, owner: null, meta: { tags: ['a'] }, 'a/b': 1 },
};

describe('declarative checks', () => {
  const cases: Array<[DeclarativeCheckSpec, boolean]> = [
    [{ artifact: 'plan', pointer: '/title', op: 'exists' }, true],
    [{ artifact: 'plan', pointer: '/owner', op: 'exists' }, false],
    [{ artifact: 'plan', pointer: '/nope', op: 'not_exists' }, true],
    [{ artifact: 'plan', pointer: '/title', op: 'not_exists' }, false],
    [{ artifact: 'plan', pointer: '/meta', op: 'equals', value: { tags: ['a'] } }, true],
    [{ artifact: 'plan', pointer: '/meta/tags/0', op: 'equals', value: 'b' }, false],
    [{ artifact: 'plan', pointer: '/score', op: 'not_equals', value: 8 }, true],
    [{ artifact: 'plan', pointer: '/score', op: 'not_equals', value: 7 }, false],
    [{ artifact: 'plan', pointer: '/score', op: 'gt', value: 6 }, true],
    [{ artifact: 'plan', pointer: '/score', op: 'gt', value: 7 }, false],
    [{ artifact: 'plan', pointer: '/score', op: 'gte', value: 7 }, true],
    [{ artifact: 'plan', pointer: '/score', op: 'gte', value: 8 }, false],
    [{ artifact: 'plan', pointer: '/score', op: 'lt', value: 8 }, true],
    [{ artifact: 'plan', pointer: '/score', op: 'lt', value: 7 }, false],
    [{ artifact: 'plan', pointer: '/score', op: 'lte', value: 7 }, true],
    [{ artifact: 'plan', pointer: '/score', op: 'lte', value: 6 }, false],
    [{ artifact: 'plan', pointer: '/title', op: 'gt', value: 1 }, false],
    [{ artifact: 'plan', pointer: '/risks', op: 'min_items', value: 2 }, true],
    [{ artifact: 'plan', pointer: '/risks', op: 'min_items', value: 3 }, false],
    [{ artifact: 'plan', pointer: '/risks', op: 'max_items', value: 2 }, true],
    [{ artifact: 'plan', pointer: '/risks', op: 'max_items', value: 1 }, false],
    [{ artifact: 'plan', pointer: '/title', op: 'min_items', value: 0 }, false],
    [{ artifact: 'plan', pointer: '/title', op: 'matches', value: '^Login' }, true],
    [{ artifact: 'plan', pointer: '/title', op: 'matches', value: '^Logout' }, false],
    [{ artifact: 'plan', pointer: '/score', op: 'matches', value: '7' }, false],
    [{ artifact: 'plan', pointer: '/a~1b', op: 'equals', value: 1 }, true],
    [{ artifact: 'plan', pointer: '', op: 'exists' }, true],
    [{ artifact: 'other', pointer: '/x', op: 'exists' }, false],
  ];

  it.each(cases)('%j → %s', (spec, expected) => {
    expect(check(spec)(artifacts).passed).toBe(expected);
  });

  it('says what it found and where', () => {
    expect(check({ artifact: 'plan', pointer: '/risks', op: 'min_items', value: 3 })(artifacts)).toEqual({
      passed: false,
      detail: 'plan/risks is a list of 2; expected min_items 3',
      artifact: 'plan',
      pointer: '/risks',
    });
    expect(check({ artifact: 'plan', pointer: '/title', op: 'gt', value: 1 })(artifacts).detail).toBe(
      'plan/title is "Login form"; expected gt 1 (not a number)',
    );
    expect(check({ artifact: 'plan', pointer: '/x', op: 'exists' })(artifacts).detail).toBe(
      'plan/x is missing; expected exists',
    );
  });

  it('runs from YAML with its severity and message', () => {
    const wf = loadWorkflowText(
      `name: d
phases:
  - id: A
    gates:
      - id: g
        blockers:
          - check: { artifact: plan, pointer: /risks, op: min_items, value: 1 }
            message: name at least one risk
          - check: { artifact: plan, pointer: /title, op: matches, value: "^[A-Z]" }
            severity: warning
  - id: B
transitions:
  - { from: A, to: B, gate: g }
`,
      'd.yaml',
    );
    const decision = decideTransition(wf, {
      currentPhase: 'A',
      targetPhase: 'B',
      artifacts: { plan: { risks: [], title: 'lower' } },
    });
    expect(decision.allowed).toBe(false);
    expect(decision.blockers).toEqual([
      {
        check: 'declarative',
        severity: 'blocking',
        gate: 'g',
        message: 'name at least one risk',
        detail: 'plan/risks is a list of 0; expected min_items 1',
        artifact: 'plan',
        pointer: '/risks',
      },
    ]);
    expect(decision.warnings).toEqual([
      expect.objectContaining({
        check: 'declarative',
        severity: 'warning',
        message: 'plan/title is "lower"; expected matches "^[A-Z]"',
      }),
    ]);
    const ok = decideTransition(wf, {
      currentPhase: 'A',
      targetPhase: 'B',
      artifacts: { plan: { risks: ['r'], title: 'Upper' } },
    });
    expect(ok).toMatchObject({ allowed: true, blockers: [], warnings: [] });
  });
});
