import { basename, dirname, join } from 'node:path';
import { type VerifySegment } from '../domain/audit-verify.js';
import { type AuditFs } from './audit-fs.js';

/**
 * Rotated files are named after the seq range they hold:
 *
 *   audit.jsonl                               the file being written
 *   audit.jsonl.000000000001-000000100000     rotated: seq 1 … 100000
 *   audit.jsonl.000000100001-000000200000     rotated: seq 100001 … 200000
 *
 * Names never change after the rename (no `.1` → `.2` shuffle that a crash could leave
 * half done), sort by age, let a query skip whole files by seq, and let `verify` tell a file
 * deleted by retention (the oldest one starts where its name says) from deleted lines.
 * Should a name already exist (a restored copy), a `.N` suffix is added.
 */
export interface RotatedFile {
  readonly name: string;
  readonly path: string;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

/** A file to read: a rotated file, or the current one up to its durable size. */
export interface AuditSegment extends VerifySegment {
  readonly path: string;
  /** Read no further than this (null: the whole file). */
  readonly limit: number | null;
}

const SEQ_DIGITS = 12;
const RANGE = /\.(\d{12,})-(\d{12,})(?:\.\d+)?$/;

export function rotatedFileName(auditFile: string, firstSeq: number, lastSeq: number, suffix = 0): string {
  const pad = (n: number) => String(n).padStart(SEQ_DIGITS, '0');
  return `${basename(auditFile)}.${pad(firstSeq)}-${pad(lastSeq)}${suffix > 0 ? `.${suffix}` : ''}`;
}

/** The seq range a file name declares, if it is a rotated file's name. */
export function declaredRange(name: string): { firstSeq: number; lastSeq: number } | null {
  const match = RANGE.exec(name);
  if (!match) return null;
  const firstSeq = Number(match[1]);
  const lastSeq = Number(match[2]);
  return Number.isSafeInteger(firstSeq) && Number.isSafeInteger(lastSeq) && firstSeq <= lastSeq
    ? { firstSeq, lastSeq }
    : null;
}

/** The rotated files of `auditFile`, oldest first. */
export async function listRotated(fs: AuditFs, auditFile: string): Promise<RotatedFile[]> {
  const dir = dirname(auditFile);
  const prefix = `${basename(auditFile)}.`;
  const files: RotatedFile[] = [];
  for (const name of await fs.list(dir)) {
    if (!name.startsWith(prefix)) continue;
    const range = declaredRange(name);
    if (range && RANGE.exec(name)?.index === prefix.length - 1)
      files.push({ name, path: join(dir, name), ...range });
  }
  return files.sort((a, b) => a.firstSeq - b.firstSeq || a.name.localeCompare(b.name));
}

export function rotatedSegment(file: RotatedFile): AuditSegment {
  return {
    name: file.name,
    path: file.path,
    declaredFirstSeq: file.firstSeq,
    declaredLastSeq: file.lastSeq,
    limit: null,
  };
}

export function currentSegment(auditFile: string, limit: number | null): AuditSegment {
  return { name: basename(auditFile), path: auditFile, declaredFirstSeq: null, declaredLastSeq: null, limit };
}

/** Every file of the log, oldest first: the rotated files, then the current one. */
export async function logSegments(fs: AuditFs, auditFile: string): Promise<AuditSegment[]> {
  return [...(await listRotated(fs, auditFile)).map(rotatedSegment), currentSegment(auditFile, null)];
}
