import { type AuditAnchorStore } from '../anchor/audit-anchor.store.js';
import { anchorFileText, FileAuditAnchorStore } from '../anchor/file-audit-anchor.store.js';
import { processIo, type AuditCliIo } from './audit-cli-io.js';

/**
 * `audit anchor [--out FILE]`: the latest anchor as an anchor file, to keep off the host (where
 * whoever can rewrite the log or the database cannot reach it) and pass later to
 * `audit verify --anchor FILE`. Exit 0; 1 when no anchor is recorded yet.
 */
export async function runAuditAnchorExport(
  anchors: AuditAnchorStore,
  out: string | null,
  io: AuditCliIo = processIo,
): Promise<number> {
  const anchor = await anchors.read();
  if (!anchor) {
    io.err(`audit anchor: no anchor is recorded in ${anchors.location} yet (no checkpoint was signed)`);
    return 1;
  }
  if (out) {
    await new FileAuditAnchorStore(out).write(anchor);
    io.out(
      `wrote the anchor of checkpoint seq ${anchor.seq} (hash ${anchor.hash}) from ${anchors.location} to ${out}`,
    );
  } else {
    io.out(anchorFileText(anchor));
  }
  return 0;
}
