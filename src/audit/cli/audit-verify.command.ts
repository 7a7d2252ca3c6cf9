import { basename, dirname, resolve } from 'node:path';
import { type AuditVerifyReport, type VerifyOptions } from '../domain/audit-verify.js';
import { declaredRange, logSegments, type AuditSegment } from '../file/audit-files.js';
import { nodeAuditFs, type AuditFs } from '../file/audit-fs.js';
import { closeSegments, openSegments, verifyOpened } from '../file/audit-log-reader.js';
import { processIo, type AuditCliIo } from './audit-cli-io.js';

export interface VerifyCommandOptions {
  /** Files to check; empty: the configured audit file and its rotated files. */
  readonly files: readonly string[];
  /** The configured `audit.audit_file`, resolved (used when `files` is empty). */
  readonly auditFile: string;
  readonly json?: boolean;
  /** Trusted public keys: checkpoint signatures, signed recoveries and retention are checked. */
  readonly keys?: VerifyOptions['keys'];
  /** The anchor kept apart from the log: its checkpoint must still be there. */
  readonly anchor?: VerifyOptions['anchor'];
  readonly io?: AuditCliIo;
  readonly fs?: AuditFs;
}

/**
 * `audit verify [FILE…]`: walks the chain and prints the result. Returns the exit code:
 * 0 valid, 1 broken (the first broken seq, file and line are printed).
 * Given files are checked in seq order (rotated names first, by their range), and the first
 * may start anywhere; without files the whole configured log is checked.
 */
export async function runAuditVerify(options: VerifyCommandOptions): Promise<number> {
  const io = options.io ?? processIo;
  const fs = options.fs ?? nodeAuditFs;
  const explicit = options.files.length > 0;
  const segments = explicit ? explicitSegments(options.files) : await logSegments(fs, options.auditFile);
  const opened = await openSegments(fs, segments);
  let report: AuditVerifyReport;
  try {
    if (explicit && opened.length < segments.length) {
      const missing = segments.filter((s) => !opened.some((o) => o.segment === s)).map((s) => s.path);
      io.err(`audit verify: no such file: ${missing.join(', ')}`);
      return 2;
    }
    report = await verifyOpened(opened, {
      allowPartialStart: explicit,
      ...(options.keys ? { keys: options.keys } : {}),
      ...(options.anchor ? { anchor: options.anchor } : {}),
    });
  } finally {
    await closeSegments(opened);
  }
  if (options.json) {
    io.out(JSON.stringify(report, null, 2));
  } else {
    printVerifyReport(report, explicit ? '' : ` in ${dirname(options.auditFile)}`, io);
  }
  return report.valid ? 0 : 1;
}

function explicitSegments(files: readonly string[]): AuditSegment[] {
  const segments = files.map((file): AuditSegment => {
    const range = declaredRange(basename(file));
    return {
      name: file,
      path: resolve(file),
      declaredFirstSeq: range?.firstSeq ?? null,
      declaredLastSeq: range?.lastSeq ?? null,
      limit: null,
    };
  });
  // Rotated files by their range; others (the current file) after them, in the given order.
  const order = (s: AuditSegment) => s.declaredFirstSeq ?? Number.MAX_SAFE_INTEGER;
  return segments
    .map((segment, index) => ({ segment, index }))
    .sort((a, b) => order(a.segment) - order(b.segment) || a.index - b.index)
    .map(({ segment }) => segment);
}

/** The report as text; `where` names what was checked (` in <dir>`, or empty). */
export function printVerifyReport(report: AuditVerifyReport, where: string, io: AuditCliIo): void {
  const files = `${report.files} file${report.files === 1 ? '' : 's'}`;
  const range = report.first_seq === null ? '' : ` (seq ${report.first_seq}–${report.last_seq})`;
  const broken = report.first_broken;
  if (broken) {
    io.err(`✗ audit chain broken at seq ${broken.seq}: ${broken.file} line ${broken.line}: ${broken.reason}`);
    io.err(`  ${broken.message}`);
    io.err(`  ${report.entries} entries before it were intact (${files}${where})`);
    return;
  }
  io.out(`✓ audit chain valid: ${report.entries} entries in ${files}${where}${range}`);
  if (report.signatures_checked) {
    const last = report.last_checkpoint_seq === null ? '' : `, the last at seq ${report.last_checkpoint_seq}`;
    io.out(
      `  ${report.checkpoints} signed checkpoint(s) verified${last}; ${report.unanchored_entries} entries after it are not signed yet`,
    );
  } else {
    io.out(
      '  signatures NOT checked (no public key): only the hash chain, which anyone can recompute, was checked',
    );
  }
  if (report.anchor) {
    io.out(
      report.anchor.seq === null
        ? `  no anchor recorded in ${report.anchor.location} (the log has no checkpoint yet)`
        : `  the checkpoint anchored in ${report.anchor.location} (seq ${report.anchor.seq}) is in the log, unchanged`,
    );
  }
  if (report.starts_after_seq > 0) {
    io.out(
      report.signatures_checked && report.pruned_through_seq >= report.starts_after_seq
        ? `  starts after seq ${report.starts_after_seq}: retention pruned seq 1–${report.pruned_through_seq}, recorded and signed`
        : `  starts after seq ${report.starts_after_seq}: older files were removed by retention`,
    );
  }
  for (const tear of report.recovered) {
    io.out(
      `  recovered: ${tear.file} line ${tear.line} (${tear.bytes} bytes) was cut short by a crash; seq ${tear.seq} records the recovery`,
    );
  }
  for (const late of report.signed_late) {
    io.out(
      `  signed late: seq ${late.from_seq}–${late.to_seq} were signed at a start-up as found, not as written (${late.cause === 'crash' ? 'the run before stopped without its final checkpoint' : 'the log had no anchor yet'}); changes made to them before that start cannot be detected`,
    );
  }
  if (report.torn_tail) {
    const t = report.torn_tail;
    io.out(
      `  torn tail: ${t.file} line ${t.line} (${t.bytes} bytes) was cut short by a crash; the writer will record it at its next start`,
    );
  }
}
