import { InvalidInputError } from '../../common/domain/domain-error.js';
import { validateDependencies, type DependencyGraph } from './dependency-graph.js';

function graphOf(edges: Record<string, string[]>): DependencyGraph {
  return { dependenciesOf: (id) => edges[id] };
}

function errorOf(fn: () => void): InvalidInputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}

describe('validateDependencies', () => {
  it('accepts dependencies that exist and form no cycle', () => {
    const graph = graphOf({ a: [], b: ['a'], c: ['a', 'b'] });
    expect(() => validateDependencies({ id: 'd', dependencies: ['b', 'c'] }, graph)).not.toThrow();
  });

  it('names every unknown dependency', () => {
    const error = errorOf(() =>
      validateDependencies({ id: 'd', dependencies: ['a', 'x', 'y'] }, graphOf({ a: [] })),
    );
    expect(error.code).toBe('unknown_dependency');
    expect(error.details).toEqual({ unknown_dependencies: ['x', 'y'] });
  });

  it('rejects a task that depends on itself', () => {
    const error = errorOf(() => validateDependencies({ id: 'a', dependencies: ['a'] }, graphOf({})));
    expect(error.code).toBe('dependency_cycle');
  });

  it('finds a cycle through stored tasks and reports its path', () => {
    // `a` was stored depending on `c` (e.g. imported), and now `c` arrives depending on `b`.
    const graph = graphOf({ a: ['c'], b: ['a'] });
    const error = errorOf(() => validateDependencies({ id: 'c', dependencies: ['b'] }, graph));
    expect(error.code).toBe('dependency_cycle');
    expect(error.details).toEqual({ cycle: ['c', 'b', 'a', 'c'] });
  });

  it('skips the search when the graph says nothing depends on the new task', () => {
    const graph: DependencyGraph = { ...graphOf({ a: ['c'], b: ['a'] }), hasDependants: () => false };
    expect(() => validateDependencies({ id: 'c', dependencies: ['b'] }, graph)).not.toThrow();
  });
});
