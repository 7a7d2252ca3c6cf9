import { type AuditEntry } from '../domain/audit-entry.js';
import { AuditPageCollector, type AuditPage, type NormalizedAuditQuery } from '../domain/audit-query.js';
import { AuditStatsAccumulator, type AuditStats, type AuditStatsQuery } from '../domain/audit-stats.js';
import { ChainVerifier, type AuditVerifyReport, type VerifyOptions } from '../domain/audit-verify.js';
import { type AuditSegment } from './audit-files.js';
import { type AuditFs, type AuditReadHandle } from './audit-fs.js';
import { backwardLines, forwardLines } from './line-reader.js';
import { type SegmentSummaries } from './segment-summaries.js';

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

/**
 * Newest first across segments (given oldest first). With `summaries`, rotated files whose
 * known time range is outside the query's are skipped unread; with `since`, the read stops at
 * the first entry stamped well before it (`AuditPageCollector.endsScan`), so a query of the last
 * hour reads the last hour, not the whole current file.
 */
export async function queryOpened(
  opened: readonly OpenSegment[],
  query: NormalizedAuditQuery,
  summaries?: SegmentSummaries,
): Promise<AuditPage> {
  const collector = new AuditPageCollector(query);
  let ended = false;
  for (let i = opened.length - 1; i >= 0 && !collector.done && !ended; i--) {
    const { segment, handle, size } = opened[i]!;
    if (segment.declaredFirstSeq !== null) {
      if (collector.skips(segment.declaredFirstSeq)) continue;
      const summary = summaries?.get(segment.name, size);
      if (summary) {
        const range = summary.tsRange;
        if (range === null || collector.excludesRange(range)) continue;
      }
    }
    for await (const { bytes } of backwardLines(handle, size)) {
      const entry = readEntry(bytes);
      if (entry === null || collector.skips(entry.seq)) continue;
      // Past `since` (by more than the slack): nothing older can match, so the read stops here.
      if (collector.endsScan(entry)) {
        ended = true;
        break;
      }
      if (!collector.offer(entry)) break;
    }
  }
  return collector.page();
}

/**
 * Counts entries in the time range. With `summaries`, each rotated file is read once ever:
 * its whole-file counts are cached and merged when the range covers the file.
 */
export async function statsOpened(
  opened: readonly OpenSegment[],
  query?: AuditStatsQuery,
  summaries?: SegmentSummaries,
): Promise<AuditStats> {
  const stats = new AuditStatsAccumulator(query);
  for (const { segment, handle, size } of opened) {
    const cacheable = summaries !== undefined && segment.declaredFirstSeq !== null;
    const summary = cacheable ? summaries.get(segment.name, size) : undefined;
    if (summary) {
      const range = summary.tsRange;
      if (range === null || stats.excludes(range)) continue;
      if (stats.covers(range)) {
        stats.merge(summary);
        continue;
      }
    }
    const fresh = cacheable && !summary ? new AuditStatsAccumulator() : null;
    for await (const { bytes } of forwardLines(handle, size)) {
      const entry = readEntry(bytes);
      if (entry === null) continue;
      stats.add(entry);
      fresh?.add(entry);
    }
    if (fresh) summaries!.set(segment.name, size, fresh);
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
