import { deepFreeze } from './deep-freeze.js';

describe('deepFreeze', () => {
  it('freezes nested objects and the objects inside arrays', () => {
    const task = { id: 't', history: [{ at: 'now', reasons: ['a'] }], artifacts: { plan: { steps: [1] } } };

    deepFreeze(task);

    expect(Object.isFrozen(task)).toBe(true);
    expect(Object.isFrozen(task.history)).toBe(true);
    expect(Object.isFrozen(task.history[0])).toBe(true);
    expect(Object.isFrozen(task.history[0]!.reasons)).toBe(true);
    expect(Object.isFrozen(task.artifacts.plan.steps)).toBe(true);
    expect(() => task.history.push({ at: 'later', reasons: [] })).toThrow(TypeError);
  });

  it('returns primitives and null unchanged', () => {
    expect(deepFreeze(3)).toBe(3);
    expect(deepFreeze('x')).toBe('x');
    expect(deepFreeze(null)).toBeNull();
  });

  it('leaves the insides of an already frozen value as they are', () => {
    const inner = { n: 1 };
    const outer = Object.freeze({ inner });

    deepFreeze(outer);

    expect(Object.isFrozen(inner)).toBe(false);
  });
});
