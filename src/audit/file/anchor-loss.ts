import { CHECKPOINT_ACTION } from '../domain/checkpoint.js';
import { parseAuditLine } from '../domain/audit-line.js';
import { type AuditAnchor } from '../anchor/audit-anchor.store.js';
import { type AuditFs } from './audit-fs.js';
import { backwardLines } from './line-reader.js';

export interface AnchorLossCheck {
  readonly auditFile: string;
  /** Where the anchor is kept, for the message. */
  readonly anchorLocation: string;
  /** The anchor read at start-up (null: none recorded). */
  readonly anchor: AuditAnchor | null | undefined;
  readonly anchoredSeq: number;
  /** Last intact seq of the log as found. */
  readonly logLastSeq: number;
  /** Files to look for a signed checkpoint in (the current one and the newest rotated one). */
  readonly newestFiles: readonly string[];
}

/**
 * What start-up must not paper over: the log ends before the anchored checkpoint (entries were
 * deleted while the server was down), or the anchor is gone but the log holds checkpoints.
 * Returns the problem, or null when log and anchor agree.
 */
export async function findAnchorLoss(fs: AuditFs, check: AnchorLossCheck): Promise<string | null> {
  if (check.anchoredSeq > check.logLastSeq) {
    return `${check.auditFile} ends at seq ${check.logLastSeq}, but checkpoint seq ${check.anchoredSeq} is anchored in ${check.anchorLocation}: entries were deleted or the log was replaced`;
  }
  if (check.anchor === null && check.logLastSeq > 0 && (await holdsCheckpoint(fs, check.newestFiles))) {
    return `${check.auditFile} holds signed checkpoints, but no anchor is recorded in ${check.anchorLocation}: the anchor was deleted`;
  }
  return null;
}

/** Whether any of the files holds a checkpoint (this version writes one per file). */
async function holdsCheckpoint(fs: AuditFs, paths: readonly string[]): Promise<boolean> {
  for (const path of paths) {
    const handle = await fs.openRead(path);
    if (!handle) continue;
    try {
      for await (const { bytes } of backwardLines(handle, handle.size)) {
        if (!bytes.includes('"action":"audit.checkpoint"')) continue;
        const parsed = parseAuditLine(bytes.toString('utf8'));
        if (parsed.ok && parsed.entry.action === CHECKPOINT_ACTION) return true;
      }
    } finally {
      await handle.close();
    }
  }
  return false;
}
