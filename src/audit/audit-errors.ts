import { UnavailableError } from '../common/domain/domain-error.js';

/** An entry could not be made durable; it was not acknowledged. */
export function auditWriteFailed(target: string, cause: unknown): UnavailableError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new UnavailableError(
    'audit_write_failed',
    `Could not write the audit log ${target}${code ? ` (${code})` : ''}: ${reason}. The entry was not recorded.`,
  );
}

export function auditClosed(): UnavailableError {
  return new UnavailableError('audit_closed', 'The audit log is closed');
}
