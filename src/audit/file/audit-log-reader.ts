import { type AuditEntry } from '../domain/audit-entry.js';
import { AuditPageCollector, type AuditPage, type NormalizedAuditQuery } from '../domain/audit-query.js';
import { AuditStatsAccumulator, type AuditStats, type AuditStatsQuery } from '../domain/audit-stats.js';
import { ChainVerifier, type AuditVerifyReport, type VerifyOptions } from '../domain/audit-verify.js';
import { type AuditSegment } from './audit-files.js';
import { type AuditFs, type AuditReadHandle } from './audit-fs.js';
import { backwardLines, forwardLines } from './line-reader.js';

/** A segment opened for reading; `size` is fixed when opened, so later appends are not seen. */
export interface OpenSegment {
  readonly segment: AuditSegment;
  readonly handle: AuditReadHandle;
  readonly size: number;
}

/**
 * Opens every segment that exists (a missing one is left out). Open handles keep reading
 * a file even if it is renamed by rotation or deleted by retention meanwhile.
 */
export async function openSegments(fs: AuditFs, segments: readonly AuditSegment[]): Promise<OpenSegment[]> {
  const opened: OpenSegment[] = [];
  try {
    for (const segment of segments) {
      const handle = await fs.openRead(segment.path);
      if (handle === null) continue;
      opened.push({ segment, handle, size: Math.min(handle.size, segment.limit ?? handle.size) });
    }
  } catch (error) {
    await closeSegments(opened);
    throw error;
  }
  return opened;
}

export async function closeSegments(opened: readonly OpenSegment[]): Promise<void> {
  await Promise.all(opened.map((o) => o.handle.close().catch(() => undefined)));
}

/**
 * A line as an entry for queries and stats, or null for a damaged line. Only the shape is
 * checked: hashes are `verify`'s job, and skipping them keeps queries fast.
 */
export function readEntry(bytes: Buffer): AuditEntry | null {
  if (bytes.length === 0 || bytes[0] !== 0x7b) return null;
  try {
    const value = JSON.parse(bytes.toString('utf8')) as Partial<AuditEntry> | null;
    return typeof value?.seq === 'number' && typeof value.ts === 'string' && typeof value.action === 'string'
      ? (value as AuditEntry)
      : null;
  } catch {
    return null;
  }
}

/** Newest first across segments (given oldest first). */
export async function queryOpened(
  opened: readonly OpenSegment[],
  query: NormalizedAuditQuery,
): Promise<AuditPage> {
  const collector = new AuditPageCollector(query);
  for (let i = opened.length - 1; i >= 0 && !collector.done; i--) {
    const { segment, handle, size } = opened[i]!;
    if (segment.declaredFirstSeq !== null && collector.skips(segment.declaredFirstSeq)) continue;
    for await (const { bytes } of backwardLines(handle, size)) {
      const entry = readEntry(bytes);
      if (entry === null || collector.skips(entry.seq)) continue;
      if (!collector.offer(entry)) break;
    }
  }
  return collector.page();
}

export async function statsOpened(
  opened: readonly OpenSegment[],
  query?: AuditStatsQuery,
): Promise<AuditStats> {
  const stats = new AuditStatsAccumulator(query);
  for (const { handle, size } of opened) {
    for await (const { bytes } of forwardLines(handle, size)) {
      const entry = readEntry(bytes);
      if (entry !== null) stats.add(entry);
    }
  }
  return stats.result();
}

/** Walks every line of every segment, oldest first, until the first break. */
export async function verifyOpened(
  opened: readonly OpenSegment[],
  options?: VerifyOptions,
): Promise<AuditVerifyReport> {
  const verifier = new ChainVerifier(options);
  for (const { segment, handle, size } of opened) {
    verifier.beginFile(segment);
    for await (const { bytes, line, newline } of forwardLines(handle, size)) {
      if (!verifier.line(bytes, line, newline)) break;
    }
    if (verifier.isBroken) break;
  }
  return verifier.finish();
}
