import { type Task } from './task.model.js';

/**
 * Every artifact known for a task, by type: earlier phases first, later ones override, and
 * `submitted` (for the current phase) last. Gate checks read across phases (e.g. tests for the
 * plan's acceptance criteria), so decisions see this merged view.
 */
export function mergedArtifacts(
  task: Task,
  submitted: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const phaseArtifacts of Object.values(task.artifacts)) Object.assign(merged, phaseArtifacts);
  Object.assign(merged, task.artifacts[task.phase] ?? {}, submitted);
  return merged;
}
