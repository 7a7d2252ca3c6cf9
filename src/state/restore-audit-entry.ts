import { createHash } from 'node:crypto';
import type { AuditEntryInput } from '../audit/domain/audit-entry.js';

/**
 * The `state.restore` audit entry both backends store with a restore: who, from which file,
 * and the file's sha256; `details` adds what the backend knows of the backup.
 */
export function restoreAuditEntry(
  actor: string,
  source: string,
  bytes: Buffer,
  details: Record<string, unknown>,
): AuditEntryInput {
  return {
    actor,
    role: 'admin',
    action: 'state.restore',
    decision: 'allowed',
    success: true,
    reason: `restored the state from ${source} (orchestrator state restore)`,
    details: {
      backup: source,
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      ...details,
    },
  };
}
