import { basename } from 'node:path';
import { GENESIS_HASH, type AuditEntry } from '../domain/audit-entry.js';
import { parseAuditLine } from '../domain/audit-line.js';
import { sha256Hex } from '../domain/hash-chain.js';
import { type AuditWarning } from '../audit.store.js';
import { type RotatedFile } from './audit-files.js';
import { type AuditFs, type AuditReadHandle } from './audit-fs.js';
import { backwardLines, forwardLines } from './line-reader.js';

/** A last line cut short by a crash: what the `audit.recover` entry records about it. */
export interface TornLine {
  readonly offset: number;
  readonly bytes: number;
  readonly sha256: string;
}

/** Where the chain resumes, as found on disk. Nothing is changed by reading it. */
export interface AuditTail {
  readonly lastSeq: number;
  readonly lastHash: string;
  /** First seq in the current file; null when it holds no intact entry. */
  readonly currentFirstSeq: number | null;
  readonly currentBytes: number;
  /** The current file does not end with a newline: write one before the next entry. */
  readonly needsNewline: boolean;
  readonly torn: TornLine | null;
  /** Damaged complete lines after the last intact entry (not a crash signature). */
  readonly corruptLines: number;
  readonly warnings: readonly AuditWarning[];
}

/**
 * Reads the end of the log (the current file from its end, else the newest rotated file) to
 * find the last intact entry. Only the tail is read, however large the file.
 */
export async function readAuditTail(
  fs: AuditFs,
  auditFile: string,
  rotated: readonly RotatedFile[],
): Promise<AuditTail> {
  const name = basename(auditFile);
  const warnings: AuditWarning[] = [];
  let torn: TornLine | null = null;
  let corruptLines = 0;
  let last: AuditEntry | null = null;
  let currentFirstSeq: number | null = null;
  let currentBytes = 0;
  let needsNewline = false;

  const current = await fs.openRead(auditFile);
  if (current) {
    try {
      currentBytes = current.size;
      for await (const { bytes, newline, offset } of backwardLines(current, current.size)) {
        if (!newline) needsNewline = true;
        const parsed = parseAuditLine(bytes.toString('utf8'));
        if (parsed.ok) {
          last = parsed.entry;
          break;
        }
        if (!newline) torn = { offset, bytes: bytes.length, sha256: sha256Hex(bytes) };
        else corruptLines += 1;
      }
      if (last) currentFirstSeq = (await firstIntactEntry(current))?.seq ?? null;
    } finally {
      await current.close();
    }
  }
  const resumeFrom = last ? `${name}` : 'the newest rotated file';
  if (!last) last = await lastIntactInRotated(fs, rotated, warnings);
  const resumed = last ? `; the chain resumes after seq ${last.seq}` : '; the chain starts at seq 1';
  if (torn) {
    warnings.push({
      code: 'audit_torn_tail',
      message: `${name}: the last line (${torn.bytes} bytes at offset ${torn.offset}) was cut short by an interrupted write and is kept as is${resumed} (from ${resumeFrom})`,
    });
  }
  if (corruptLines > 0) {
    warnings.push({
      code: 'audit_corrupt_tail',
      message: `${name}: ${corruptLines} damaged line(s) at the end are kept as is and verify will report them${resumed}`,
    });
  }
  return {
    lastSeq: last?.seq ?? 0,
    lastHash: last?.hash ?? GENESIS_HASH,
    currentFirstSeq,
    currentBytes,
    needsNewline,
    torn,
    corruptLines,
    warnings,
  };
}

async function firstIntactEntry(handle: AuditReadHandle): Promise<AuditEntry | null> {
  for await (const { bytes } of forwardLines(handle, handle.size, 64 * 1024)) {
    const parsed = parseAuditLine(bytes.toString('utf8'));
    if (parsed.ok) return parsed.entry;
  }
  return null;
}

async function lastIntactInRotated(
  fs: AuditFs,
  rotated: readonly RotatedFile[],
  warnings: AuditWarning[],
): Promise<AuditEntry | null> {
  for (let i = rotated.length - 1; i >= 0; i--) {
    const file = rotated[i]!;
    const handle = await fs.openRead(file.path);
    if (!handle) continue;
    try {
      let damaged = 0;
      for await (const { bytes } of backwardLines(handle, handle.size)) {
        const parsed = parseAuditLine(bytes.toString('utf8'));
        if (parsed.ok) {
          if (damaged > 0) {
            warnings.push({
              code: 'audit_corrupt_tail',
              message: `${file.name}: ${damaged} damaged line(s) at its end; verify will report them`,
            });
          }
          return parsed.entry;
        }
        damaged += 1;
      }
    } finally {
      await handle.close();
    }
  }
  return null;
}
