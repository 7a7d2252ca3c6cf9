import { UnavailableError } from '../../common/domain/domain-error.js';

/** Start-up found the log and its anchor disagree; nothing was written. */
export function auditAnchorProblem(problem: string): UnavailableError {
  return new UnavailableError(
    'audit_anchor_mismatch',
    `Refusing to append to the audit log: ${problem}. Run \`orchestrator audit verify\` to see what is missing; ` +
      'restore the files (or the anchor) from a backup, or accept the loss by starting once with audit.accept_anchor_loss=true (recorded as an audit.reanchor entry).',
  );
}
