import { type AuditJson, type UnsealedEntry } from './audit-entry.js';
import { CHECKPOINT_ACTION, PRUNE_ACTION, type SignedCheckpoint } from './checkpoint.js';

/** The entry the writer records after accepting a lost anchor (`audit.accept_anchor_loss`). */
export const REANCHOR_ACTION = 'audit.reanchor';
/** The entry naming entries a run found unsigned at start-up and signed as found. */
export const SIGNED_LATE_ACTION = 'audit.signed_late';

/**
 * Entries the writer itself records. They are built here rather than through `prepareEntry`:
 * they hold no caller data, and redaction must not touch a signature or a key id.
 */
function systemEntry(action: string, reason: string, details: AuditJson): UnsealedEntry {
  return {
    actor: 'system',
    role: 'system',
    action,
    decision: 'n/a',
    success: true,
    task_id: null,
    phase: null,
    tool: null,
    args: null,
    reason,
    blockers: null,
    details,
    duration_ms: null,
    request_id: null,
  };
}

export function checkpointEntry(checkpoint: SignedCheckpoint): UnsealedEntry {
  return systemEntry(
    CHECKPOINT_ACTION,
    `Signed checkpoint of every entry before seq ${checkpoint.payload.seq}`,
    { checkpoint: checkpoint as unknown as AuditJson },
  );
}

export interface PrunedFile {
  readonly file: string;
  readonly first_seq: number;
  readonly last_seq: number;
}

/** Written (and signed by the checkpoint after it) before retention deletes the file. */
export function pruneEntry(pruned: PrunedFile, retainFiles: number): UnsealedEntry {
  return systemEntry(
    PRUNE_ACTION,
    `Retention (audit.retain_files=${retainFiles}) deletes ${pruned.file} (seq ${pruned.first_seq}–${pruned.last_seq})`,
    { ...pruned, pruned_through_seq: pruned.last_seq, retain_files: retainFiles },
  );
}

export function reanchorEntry(problem: string, details: { [key: string]: AuditJson }): UnsealedEntry {
  return systemEntry(
    REANCHOR_ACTION,
    `The operator accepted a lost audit anchor (audit.accept_anchor_loss): ${problem}`,
    details,
  );
}

/** Entries a start-up found without a checkpoint, and why they were not signed as written. */
export interface SignedLateRange {
  readonly from_seq: number;
  readonly to_seq: number;
  readonly cause: 'crash' | 'no_anchor';
}

/**
 * Written at start-up before the checkpoint that signs entries an earlier run left unsigned:
 * that checkpoint vouches for them only as they were found, which `verify` reports.
 */
export function signedLateEntry(range: SignedLateRange): UnsealedEntry {
  const why =
    range.cause === 'crash'
      ? 'the previous run stopped before signing them (a crash or a kill)'
      : 'the log had no anchor (a first start with signing, or an accepted anchor loss)';
  return systemEntry(
    SIGNED_LATE_ACTION,
    `seq ${range.from_seq}–${range.to_seq} were signed at start-up as found, not as written: ${why}`,
    { ...range },
  );
}
