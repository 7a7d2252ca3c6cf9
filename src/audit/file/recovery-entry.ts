import { RECOVER_ACTION, type AuditEntryInput } from '../domain/audit-entry.js';
import { type AuditTail } from './audit-recovery.js';

/**
 * The `audit.recover` entry a start-up appends after a torn or damaged tail (never rewritten):
 * it names what was found, so `verify` can tell an interrupted write from tampering. Null when
 * the tail is intact.
 */
export function recoveryEntryInput(tail: AuditTail, fileName: string): AuditEntryInput | null {
  if (!tail.needsNewline && tail.torn === null && tail.corruptLines === 0) return null;
  return {
    actor: 'system',
    role: 'system',
    action: RECOVER_ACTION,
    decision: 'n/a',
    success: true,
    reason: tail.torn
      ? `Resumed after an interrupted write left a torn last line in ${fileName}`
      : tail.corruptLines > 0
        ? `Resumed after ${tail.corruptLines} damaged line(s) at the end of ${fileName}`
        : `Resumed after an interrupted write cut the newline of the last line in ${fileName}`,
    details: {
      file: fileName,
      resumed_after_seq: tail.lastSeq,
      corrupt_lines: tail.corruptLines,
      ...(tail.torn
        ? { torn_offset: tail.torn.offset, torn_bytes: tail.torn.bytes, torn_sha256: tail.torn.sha256 }
        : {}),
    },
  };
}
