import { InvalidInputError } from '../../common/domain/domain-error.js';
import { validatePhaseArtifacts } from './artifact-validation.js';
import { type ArtifactMap } from './checks/check.model.js';
import { resolveMode } from './enforcement-mode.js';
import { applyMode, type TransitionDecision } from './transition-decision.js';
import { type Workflow } from './workflow.runtime.js';

/** A phase with no transition out of it: where a task completes. */
export function isFinalPhase(workflow: Workflow, phase: string): boolean {
  return workflow.runtime.phases.has(phase) && !workflow.transitions.some((t) => t.from === phase);
}

/**
 * May a task in `phase` complete? Only from a final phase, and only with that phase's
 * required artifacts present and valid (same mode semantics as transitions).
 */
export function decideCompletion(
  workflow: Workflow,
  input: { readonly phase: string; readonly artifacts: ArtifactMap; readonly mode?: string },
): Omit<TransitionDecision, 'to'> {
  const mode = resolveMode(input.mode, workflow.enforcement.mode);
  const phase = workflow.runtime.phases.get(input.phase);
  if (!phase || !isFinalPhase(workflow, input.phase)) {
    const finals = workflow.phases.filter((p) => isFinalPhase(workflow, p.id)).map((p) => p.id);
    throw new InvalidInputError(
      'not_final_phase',
      `a task completes only from a final phase (${finals.join(', ')}), not from '${input.phase}'`,
    );
  }
  return {
    from: phase.id,
    ...applyMode(mode, validatePhaseArtifacts(phase, input.artifacts, workflow.runtime.validators)),
  };
}
