import { GENESIS_HASH, RECOVER_ACTION, type AuditEntry } from './audit-entry.js';
import { parseAuditLine, type LineProblem } from './audit-line.js';
import { sha256Hex } from './hash-chain.js';

/** One file of the log as the verifier sees it. */
export interface VerifySegment {
  /** Shown in reports (a file name, or `memory`). */
  readonly name: string;
  /**
   * The seq range a rotated file's name declares. Its first entry must be that seq, which is
   * how the oldest retained file may start after deleted history without counting as a break.
   */
  readonly declaredFirstSeq: number | null;
  readonly declaredLastSeq: number | null;
}

export interface VerifyOptions {
  /**
   * Accept a first entry that is neither seq 1 nor the declared start of a rotated file
   * (verifying a copy or a hand-picked file). The log's own files never need it.
   */
  readonly allowPartialStart?: boolean;
}

export type ChainProblem =
  | LineProblem
  | 'missing_entry'
  | 'seq_out_of_order'
  | 'prev_hash_mismatch'
  | 'history_missing'
  | 'file_name_mismatch';

export interface AuditBreak {
  /** The seq that is missing or damaged (the one expected at that place in the chain). */
  readonly seq: number;
  readonly file: string;
  /** 1-based line number in `file`. */
  readonly line: number;
  readonly reason: ChainProblem;
  readonly message: string;
}

/** A line cut short by a crash, vouched for by the `audit.recover` entry written after it. */
export interface RecoveredTear {
  readonly file: string;
  readonly line: number;
  readonly bytes: number;
  /** Seq of the `audit.recover` entry. */
  readonly seq: number;
}

/** The current file ends in a line cut short by a crash and not yet recovered (the writer is down). */
export interface TornTail {
  readonly file: string;
  readonly line: number;
  readonly bytes: number;
}

export interface AuditVerifyReport {
  readonly valid: boolean;
  /** Entries checked (up to the break, if any). */
  readonly entries: number;
  readonly files: number;
  readonly first_seq: number | null;
  readonly last_seq: number | null;
  readonly last_hash: string | null;
  /** 0 when the chain starts at genesis; else the seq whose file retention deleted. */
  readonly starts_after_seq: number;
  readonly recovered: readonly RecoveredTear[];
  readonly torn_tail: TornTail | null;
  readonly first_broken?: AuditBreak;
}

interface BadLine {
  readonly line: number;
  readonly problem: LineProblem;
  readonly message: string;
  readonly claimedSeq: number | null;
  readonly bytes: Uint8Array;
  readonly newline: boolean;
}

/**
 * Walks the chain line by line, oldest file first, and stops at the first break.
 *
 * Every line must be an entry that matches its own hash, is written in canonical form,
 * carries the next seq and links to the previous entry's hash (across files). Two
 * exceptions, both produced by crashes rather than by editing:
 * - a last line without its newline at the very end (`torn_tail`: the writer has not
 *   restarted since);
 * - a damaged line followed by an `audit.recover` entry that links over it and names its
 *   exact length and SHA-256: the writer found it at start-up and recorded that it resumed
 *   (`recovered`). Only the writer can produce that entry inside the chain.
 */
export class ChainVerifier {
  private segment: VerifySegment | null = null;
  private segmentFirst: number | null = null;
  private segmentLast: number | null = null;
  private segmentLine = 0;
  private files = 0;
  private entries = 0;
  private firstSeq: number | null = null;
  private prevHash: string | null = null;
  private nextSeq: number | null = null;
  private startsAfter = 0;
  private pending: BadLine[] = [];
  private readonly recovered: RecoveredTear[] = [];
  private tornTail: TornTail | null = null;
  private broken: AuditBreak | null = null;

  constructor(private readonly options: VerifyOptions = {}) {}

  get isBroken(): boolean {
    return this.broken !== null;
  }

  beginFile(segment: VerifySegment): void {
    if (this.segment) this.closeSegment(false);
    this.segment = segment;
    this.segmentFirst = this.segmentLast = null;
    this.segmentLine = 0;
    this.files += 1;
  }

  /** One line without its newline; `newline` says whether one followed. Returns false once broken. */
  line(bytes: Uint8Array, lineNo: number, newline: boolean): boolean {
    if (this.broken) return false;
    this.segmentLine = lineNo;
    const parsed = parseAuditLine(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
    );
    if (!parsed.ok) {
      this.pending.push({ line: lineNo, ...parsed, bytes, newline });
      return true;
    }
    const entry = parsed.entry;
    if (this.pending.length > 0) {
      const tear = this.pending[0]!;
      if (!this.vouches(entry, tear)) return this.breakAtPending();
      this.recovered.push({ file: this.name, line: tear.line, bytes: tear.bytes.byteLength, seq: entry.seq });
      this.pending = [];
    }
    if (this.segmentFirst === null) {
      const declared = this.segment?.declaredFirstSeq ?? null;
      if (declared !== null && declared !== entry.seq) {
        return this.fail(
          declared,
          lineNo,
          'file_name_mismatch',
          `the file name says it starts at seq ${declared}, but its first entry is seq ${entry.seq}`,
        );
      }
    }
    if (!this.links(entry, lineNo)) return false;
    this.segmentFirst ??= entry.seq;
    this.segmentLast = entry.seq;
    this.firstSeq ??= entry.seq;
    this.prevHash = entry.hash;
    this.nextSeq = entry.seq + 1;
    this.entries += 1;
    return true;
  }

  finish(): AuditVerifyReport {
    if (this.segment) this.closeSegment(true);
    this.segment = null;
    return {
      valid: this.broken === null,
      entries: this.entries,
      files: this.files,
      first_seq: this.firstSeq,
      last_seq: this.nextSeq === null ? null : this.nextSeq - 1,
      last_hash: this.prevHash,
      starts_after_seq: this.startsAfter,
      recovered: this.recovered,
      torn_tail: this.tornTail,
      ...(this.broken ? { first_broken: this.broken } : {}),
    };
  }

  private get name(): string {
    return this.segment?.name ?? '?';
  }

  private links(entry: AuditEntry, lineNo: number): boolean {
    if (this.nextSeq === null) {
      if (entry.seq === 1 && entry.prev_hash === GENESIS_HASH) return true;
      const declaredStart = this.segmentFirst === null && this.segment?.declaredFirstSeq === entry.seq;
      if (declaredStart || this.options.allowPartialStart) {
        this.startsAfter = entry.seq - 1;
        return true;
      }
      return this.fail(
        entry.seq === 1 ? 1 : entry.seq - 1,
        lineNo,
        'history_missing',
        entry.seq === 1
          ? 'seq 1 does not start from the genesis hash'
          : `the log starts at seq ${entry.seq}, but no rotated file holds the entries before it`,
      );
    }
    if (entry.seq > this.nextSeq) {
      const gap =
        entry.seq - 1 === this.nextSeq
          ? `seq ${this.nextSeq} is`
          : `seq ${this.nextSeq}–${entry.seq - 1} are`;
      return this.fail(
        this.nextSeq,
        lineNo,
        'missing_entry',
        `${gap} missing before this line (found seq ${entry.seq})`,
      );
    }
    if (entry.seq < this.nextSeq) {
      return this.fail(
        entry.seq,
        lineNo,
        'seq_out_of_order',
        `seq ${entry.seq} appears again after seq ${this.nextSeq - 1}`,
      );
    }
    if (entry.prev_hash !== this.prevHash) {
      return this.fail(
        entry.seq,
        lineNo,
        'prev_hash_mismatch',
        `prev_hash does not match the hash of seq ${entry.seq - 1} (an entry before it was replaced)`,
      );
    }
    return true;
  }

  private vouches(entry: AuditEntry, tear: BadLine): boolean {
    if (this.pending.length !== 1 || entry.action !== RECOVER_ACTION) return false;
    const details = entry.details;
    if (details === null || typeof details !== 'object' || Array.isArray(details)) return false;
    return (
      details['torn_bytes'] === tear.bytes.byteLength && details['torn_sha256'] === sha256Hex(tear.bytes)
    );
  }

  private closeSegment(last: boolean): void {
    if (this.broken) return;
    if (this.pending.length > 0) {
      const tear = this.pending[0]!;
      if (last && this.pending.length === 1 && !tear.newline) {
        this.tornTail = { file: this.name, line: tear.line, bytes: tear.bytes.byteLength };
        this.pending = [];
      } else {
        this.breakAtPending();
        return;
      }
    }
    const declared = this.segment?.declaredLastSeq ?? null;
    if (declared !== null && declared !== this.segmentLast) {
      const found = this.segmentLast === null ? 'has no entries' : `ends at seq ${this.segmentLast}`;
      this.fail(
        this.segmentLast === null ? (this.segment?.declaredFirstSeq ?? declared) : this.segmentLast + 1,
        this.segmentLine,
        'file_name_mismatch',
        `the file name says it ends at seq ${declared}, but it ${found}`,
      );
    }
  }

  private breakAtPending(): false {
    const tear = this.pending[0]!;
    const seq = this.nextSeq ?? tear.claimedSeq ?? 1;
    const claimed =
      tear.claimedSeq !== null && tear.claimedSeq !== seq ? ` (the line claims seq ${tear.claimedSeq})` : '';
    return this.fail(seq, tear.line, tear.problem, `${tear.message}${claimed}`);
  }

  private fail(seq: number, line: number, reason: ChainProblem, message: string): false {
    this.broken ??= { seq, file: this.name, line, reason, message };
    return false;
  }
}
