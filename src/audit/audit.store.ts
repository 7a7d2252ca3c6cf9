import { type AuditEntry, type AuditEntryInput } from './domain/audit-entry.js';
import { type AuditPage, type AuditQuery } from './domain/audit-query.js';
import { type AuditStats, type AuditStatsQuery } from './domain/audit-stats.js';
import { type AuditVerifyReport } from './domain/audit-verify.js';

export interface AuditHealth {
  readonly status: 'up' | 'down';
  readonly backend: 'memory' | 'file' | 'postgres';
  readonly details: Readonly<Record<string, unknown>>;
}

/** Something start-up or a write found and worked around; the log stays usable. */
export interface AuditWarning {
  readonly code:
    | 'audit_torn_tail'
    | 'audit_corrupt_tail'
    | 'audit_retention_failed'
    | 'audit_rotation_name_taken'
    | 'audit_anchor_failed'
    | 'audit_anchor_lost';
  readonly message: string;
}

/**
 * Port of the tamper-evident audit log (DESIGN.md §7). It is its own injection token.
 *
 * Contract for every adapter (memory, JSONL file, later postgres):
 * - `append` redacts and caps the entry, gives it the next `seq` and chains its hash in the
 *   order `append` was called, and resolves only once the entry is durable for that backend.
 *   A rejected append (`audit_write_failed`, `audit_closed`) was not acknowledged.
 * - No token or secret text is ever stored (see `domain/audit-redaction.ts`).
 * - `query` and `recent` are newest first and see every acknowledged entry; `stats` and
 *   `verify` cover every retained entry.
 */
export abstract class AuditStore {
  abstract append(entry: AuditEntryInput): Promise<AuditEntry>;
  /** Filtered, newest first, one page (`next_cursor` continues with older entries). */
  abstract query(query?: AuditQuery): Promise<AuditPage>;
  /** The latest `count` entries (default 20, at most 1000), newest first. */
  abstract recent(count?: number): Promise<readonly AuditEntry[]>;
  abstract stats(query?: AuditStatsQuery): Promise<AuditStats>;
  /** Recomputes every retained hash and link; reports the first break. */
  abstract verify(): Promise<AuditVerifyReport>;
  abstract health(): Promise<AuditHealth>;
  /** Waits for pending appends, then refuses new ones (`audit_closed`). Idempotent. */
  abstract close(): Promise<void>;
}
