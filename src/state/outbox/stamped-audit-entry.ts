import type { AuditEntryInput } from '../../audit/domain/audit-entry.js';
import type { OutboxEntry } from '../index/state-op.js';

/**
 * An outbox entry as the audit log records it: with its change id in `details.change_id` (so
 * a start-up can tell which changes the log already holds) and, after a crash, marked
 * `details.recovered` with the time the change was stored. Shared by the relay (file/memory
 * state) and the postgres sealer, so both write the same entry for the same change.
 */
export function stampedAuditEntry(item: OutboxEntry, recovered: boolean): AuditEntryInput {
  const mark: Record<string, unknown> = { change_id: item.change_id };
  if (recovered) mark['recovered'] = { stored_at: item.stored_at };
  const details = item.entry.details;
  return {
    ...item.entry,
    details:
      details !== null && typeof details === 'object' && !Array.isArray(details)
        ? { ...(details as Record<string, unknown>), ...mark }
        : details === undefined || details === null
          ? mark
          : { value: details, ...mark },
  };
}
