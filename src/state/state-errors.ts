import { UnavailableError } from '../common/domain/domain-error.js';

/** A change could not be made durable; nothing of it was applied. */
export function stateWriteFailed(target: string, cause: unknown): UnavailableError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new UnavailableError(
    'state_write_failed',
    `Could not write ${target}${code ? ` (${code})` : ''}: ${reason}. The change was not applied.`,
  );
}

export function stateClosed(): UnavailableError {
  return new UnavailableError('state_closed', 'The state store is closed');
}
