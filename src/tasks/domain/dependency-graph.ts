import { InvalidInputError } from '../../common/domain/domain-error.js';

/** Read access to the dependency edges of the tasks already stored. */
export interface DependencyGraph {
  /** Dependencies of a stored task, or undefined when no such task exists. */
  dependenciesOf(id: string): readonly string[] | undefined;
  /**
   * Whether any stored task depends on `id`. Optional shortcut: when nothing depends on the
   * new task, no path can lead back to it, so the cycle search is skipped.
   */
  hasDependants?(id: string): boolean;
}

/**
 * Checks a task about to be stored: every dependency exists (`unknown_dependency`) and adding
 * the task creates no cycle (`dependency_cycle`, including a task depending on itself).
 */
export function validateDependencies(
  task: { readonly id: string; readonly dependencies: readonly string[] },
  graph: DependencyGraph,
): void {
  if (task.dependencies.includes(task.id)) {
    throw new InvalidInputError('dependency_cycle', `Task ${task.id} cannot depend on itself`, {
      cycle: [task.id, task.id],
    });
  }
  const unknown = task.dependencies.filter((id) => graph.dependenciesOf(id) === undefined);
  if (unknown.length > 0) {
    throw new InvalidInputError('unknown_dependency', `Unknown dependencies: ${unknown.join(', ')}`, {
      unknown_dependencies: unknown,
    });
  }
  if (graph.hasDependants && !graph.hasDependants(task.id)) return;
  const cycle = findPathTo(task.id, task.dependencies, graph);
  if (cycle) {
    const path = [task.id, ...cycle];
    throw new InvalidInputError('dependency_cycle', `Dependency cycle: ${path.join(' -> ')}`, {
      cycle: path,
    });
  }
}

/** Depth-first search from `starts` along dependency edges; returns the path to `target`. */
function findPathTo(target: string, starts: readonly string[], graph: DependencyGraph): string[] | null {
  const visited = new Set<string>();
  const parent = new Map<string, string | null>();
  const stack: string[] = [];
  for (const start of starts) {
    if (!parent.has(start)) {
      parent.set(start, null);
      stack.push(start);
    }
  }
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === target) return pathFrom(id, parent);
    if (visited.has(id)) continue;
    visited.add(id);
    for (const next of graph.dependenciesOf(id) ?? []) {
      if (!parent.has(next)) parent.set(next, id);
      if (!visited.has(next)) stack.push(next);
    }
  }
  return null;
}

function pathFrom(end: string, parent: ReadonlyMap<string, string | null>): string[] {
  const path: string[] = [];
  for (let at: string | null = end; at !== null; at = parent.get(at) ?? null) path.push(at);
  return path.reverse();
}
