import { InvalidInputError } from '../../common/domain/domain-error.js';
import { type AuditEntryInput, type AuditJson, type UnsealedEntry } from './audit-entry.js';
import {
  DEFAULT_AUDIT_REDACTION,
  capId,
  capText,
  redactAuditValue,
  type AuditRedactionOptions,
} from './audit-redaction.js';

const NAME = /^[a-z][a-z0-9_./-]{0,63}$/;

/**
 * Validates what a caller wants recorded and makes it safe to write: identifiers and
 * free text scrubbed and capped, `args`, `blockers` and `details` redacted and capped.
 * A malformed entry (no actor, a bad action name) is a programming error: `invalid_audit_entry`.
 */
export function prepareEntry(
  input: AuditEntryInput,
  options: AuditRedactionOptions = DEFAULT_AUDIT_REDACTION,
): UnsealedEntry {
  if (typeof input.actor !== 'string' || input.actor === '') invalid('actor must be a non-empty string');
  if (typeof input.action !== 'string' || !NAME.test(input.action)) {
    invalid(`action ${JSON.stringify(input.action)} must be a lower-case dotted name like task.claim`);
  }
  if (typeof input.decision !== 'string' || !NAME.test(input.decision)) {
    invalid(`decision ${JSON.stringify(input.decision)} must be a lower-case word like allowed`);
  }
  if (typeof input.success !== 'boolean') invalid('success must be a boolean');
  const duration = input.duration_ms ?? null;
  if (duration !== null && (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 0)) {
    invalid('duration_ms must be a finite number >= 0');
  }
  if (input.blockers != null && !Array.isArray(input.blockers)) invalid('blockers must be an array');
  return {
    actor: capId(input.actor, options),
    role: optionalId(input.role, 'role', options),
    action: input.action,
    decision: input.decision,
    success: input.success,
    task_id: optionalId(input.task_id, 'task_id', options),
    phase: optionalId(input.phase, 'phase', options),
    tool: optionalId(input.tool, 'tool', options),
    args: optionalValue(input.args, options),
    reason: input.reason == null ? null : capText(String(input.reason), options),
    blockers: optionalValue(input.blockers, options),
    details: optionalValue(input.details, options),
    duration_ms: duration === null ? null : Math.round(duration * 1000) / 1000,
    request_id: optionalId(input.request_id, 'request_id', options),
  };
}

function optionalId(value: unknown, field: string, options: AuditRedactionOptions): string | null {
  if (value == null) return null;
  if (typeof value !== 'string') invalid(`${field} must be a string or null`);
  return capId(value, options);
}

function optionalValue(value: unknown, options: AuditRedactionOptions): AuditJson {
  return value === undefined ? null : redactAuditValue(value, options);
}

function invalid(message: string): never {
  throw new InvalidInputError('invalid_audit_entry', `Invalid audit entry: ${message}`);
}
