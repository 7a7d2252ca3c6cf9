import { InvalidInputError } from '../../common/domain/domain-error.js';
import { type SourceLocation } from './workflow.model.js';

/** One thing wrong with a workflow file, where it is and how to fix it. */
export interface WorkflowProblem extends SourceLocation {
  readonly message: string;
  readonly fix?: string;
}

export function formatProblem(p: WorkflowProblem): string {
  const head = `${p.file}:${p.line}:${p.col}: ${p.message}`;
  return p.fix ? `${head}\n    fix: ${p.fix}` : head;
}

/** Thrown when one or more workflow files do not load; carries every problem found. */
export class WorkflowLoadError extends InvalidInputError {
  constructor(readonly problems: readonly WorkflowProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(
      'workflow_invalid',
      `workflow failed to load (${count}):\n${problems.map(formatProblem).join('\n')}`,
      {
        problems,
      },
    );
  }
}
