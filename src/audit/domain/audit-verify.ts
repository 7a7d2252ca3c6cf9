import { GENESIS_HASH, RECOVER_ACTION, type AuditEntry } from './audit-entry.js';
import { parseAuditLine, type LineProblem } from './audit-line.js';
import { sha256Hex } from './hash-chain.js';
import { CHECKPOINT_ACTION, checkCheckpoint, type SignedCheckpoint, type TrustedKeys } from './checkpoint.js';
import { SIGNED_LATE_ACTION, type SignedLateRange } from './system-entries.js';

/** The latest checkpoint as recorded outside the log (see `anchor/audit-anchor.store.ts`). */
export interface VerifyAnchor {
  readonly seq: number;
  readonly hash: string;
  readonly checkpoint: SignedCheckpoint;
}

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
  /**
   * Public keys whose checkpoint signatures are trusted. Given: every `audit.checkpoint` entry
   * must carry a valid signature over its place in the chain, recoveries must be signed, and a
   * missing oldest file must be one a signed checkpoint records as pruned by retention.
   * Absent: only the hash chain is checked (anyone can recompute it).
   */
  readonly keys?: TrustedKeys;
  /**
   * The anchor kept outside the log. Given: the log must still hold that checkpoint, unchanged
   * (`value` null: none was recorded, so a log holding checkpoints has lost its anchor).
   */
  readonly anchor?: { readonly value: VerifyAnchor | null; readonly location: string };
  /**
   * The last entry the running writer made durable (the server's own verify): the log must reach
   * it unchanged, which covers the entries after the last checkpoint too.
   */
  readonly writtenThrough?: { readonly seq: number; readonly hash: string };
}

export type ChainProblem =
  | LineProblem
  | 'missing_entry'
  | 'seq_out_of_order'
  | 'prev_hash_mismatch'
  | 'history_missing'
  | 'file_name_mismatch'
  /** A checkpoint's signature does not hold: entries before it were rewritten, or it is forged. */
  | 'checkpoint_invalid'
  /** The log ends before the anchored checkpoint: its last entries were deleted or cut short. */
  | 'entries_missing_at_end'
  /** The entry at the anchored seq is not the anchored checkpoint. */
  | 'anchor_mismatch'
  /** The log holds signed checkpoints but the anchor outside it is gone. */
  | 'anchor_missing'
  /** The oldest files are missing and no signed checkpoint records retention pruning them. */
  | 'deleted_not_pruned'
  /** An `audit.recover` entry no checkpoint signed (the writer signs one right after it). */
  | 'recovery_unsigned';

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
  /**
   * Ranges a start-up found unsigned (after a crash, or before the log had an anchor) and
   * signed as found: the checkpoints vouch for them only from that start on.
   */
  readonly signed_late: readonly SignedLateRange[];
  readonly torn_tail: TornTail | null;
  /** Whether checkpoint signatures were checked (a public key was given). */
  readonly signatures_checked: boolean;
  /** Checkpoints found (with valid signatures, when checked). */
  readonly checkpoints: number;
  readonly last_checkpoint_seq: number | null;
  /** Entries after the last checkpoint: only hash-chained until the next one is signed. */
  readonly unanchored_entries: number;
  /** Retention deleted every seq up to this one, as the last checkpoint records (0: none). */
  readonly pruned_through_seq: number;
  /** The anchor checked, when one was given. */
  readonly anchor: { readonly location: string; readonly seq: number | null; readonly found: boolean } | null;
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
  private readonly signedLate: SignedLateRange[] = [];
  private tornTail: TornTail | null = null;
  private broken: AuditBreak | null = null;
  private checkpoints = 0;
  private lastCheckpoint: SignedCheckpoint | null = null;
  private anchorFound = false;
  private firstName: string | null = null;

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
    this.firstName ??= segment.name;
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
    if (entry.action === CHECKPOINT_ACTION && !this.checkpoint(entry, lineNo)) return false;
    if (entry.action === SIGNED_LATE_ACTION) this.noteSignedLate(entry);
    if (!this.anchored(entry, lineNo)) return false;
    this.segmentFirst ??= entry.seq;
    this.segmentLast = entry.seq;
    this.firstSeq ??= entry.seq;
    this.prevHash = entry.hash;
    this.nextSeq = entry.seq + 1;
    this.entries += 1;
    return true;
  }

  private noteSignedLate(entry: AuditEntry): void {
    const d = entry.details as Record<string, unknown> | null;
    const from = d?.['from_seq'];
    const to = d?.['to_seq'];
    const cause = d?.['cause'];
    if (typeof from !== 'number' || typeof to !== 'number') return;
    this.signedLate.push({ from_seq: from, to_seq: to, cause: cause === 'crash' ? 'crash' : 'no_anchor' });
  }

  finish(): AuditVerifyReport {
    if (this.segment) this.closeSegment(true);
    if (!this.broken) this.checkEnd();
    this.segment = null;
    const lastSeq = this.nextSeq === null ? null : this.nextSeq - 1;
    const checkpointSeq = this.lastCheckpoint?.payload.seq ?? null;
    const anchor = this.options.anchor;
    return {
      valid: this.broken === null,
      entries: this.entries,
      files: this.files,
      first_seq: this.firstSeq,
      last_seq: this.nextSeq === null ? null : this.nextSeq - 1,
      last_hash: this.prevHash,
      starts_after_seq: this.startsAfter,
      recovered: this.recovered,
      signed_late: this.signedLate,
      torn_tail: this.tornTail,
      signatures_checked: this.options.keys !== undefined,
      checkpoints: this.checkpoints,
      last_checkpoint_seq: checkpointSeq,
      unanchored_entries: lastSeq === null ? 0 : lastSeq - (checkpointSeq ?? this.startsAfter),
      pruned_through_seq: this.lastCheckpoint?.payload.pruned_through_seq ?? 0,
      anchor: anchor
        ? { location: anchor.location, seq: anchor.value?.seq ?? null, found: this.anchorFound }
        : null,
      ...(this.broken ? { first_broken: this.broken } : {}),
    };
  }

  /** A checkpoint entry: with keys, its signature must hold over its place in the chain. */
  private checkpoint(entry: AuditEntry, lineNo: number): boolean {
    const keys = this.options.keys;
    if (!keys) {
      this.checkpoints += 1;
      return true;
    }
    const from = this.lastCheckpoint
      ? this.lastCheckpoint.payload.seq + 1
      : Math.max(this.startsAfter + 1, 1);
    const checked = checkCheckpoint(entry, keys);
    if (checked.ok) {
      const signedFirst = checked.checkpoint.payload.segment_first_seq;
      const actualFirst = this.segmentFirst ?? entry.seq;
      if (signedFirst < actualFirst) {
        // Retention removes whole files only: entries cut from the front of a file were deleted.
        const range =
          signedFirst + 1 === actualFirst
            ? `seq ${signedFirst} is`
            : `seq ${signedFirst}–${actualFirst - 1} are`;
        return this.fail(
          signedFirst,
          lineNo,
          this.files === 1 ? 'deleted_not_pruned' : 'file_name_mismatch',
          `${range} missing: checkpoint seq ${entry.seq} was signed in a file starting at seq ${signedFirst}, but this file starts at seq ${actualFirst}`,
        );
      }
    }
    let problem = checked.ok ? null : checked.message;
    if (checked.ok && checked.checkpoint.payload.segment_first_seq !== (this.segmentFirst ?? entry.seq)) {
      problem = `the checkpoint was signed in the file starting at seq ${checked.checkpoint.payload.segment_first_seq}, but sits in one starting at seq ${this.segmentFirst ?? entry.seq}`;
    }
    if (problem !== null || !checked.ok) {
      const range = from < entry.seq ? `seq ${from}–${entry.seq - 1}` : 'nothing before it';
      const since = this.lastCheckpoint
        ? `the last valid checkpoint is seq ${from - 1}`
        : 'no valid checkpoint before it';
      return this.fail(
        from,
        lineNo,
        'checkpoint_invalid',
        `checkpoint seq ${entry.seq}: ${problem}: ${range} were rewritten, removed or inserted after they were signed (${since}), or the checkpoint is forged`,
      );
    }
    this.checkpoints += 1;
    this.lastCheckpoint = checked.checkpoint;
    return true;
  }

  /** The entry at the anchored seq must be the anchored checkpoint. */
  private anchored(entry: AuditEntry, lineNo: number): boolean {
    const written = this.options.writtenThrough;
    if (written && entry.seq === written.seq && entry.hash !== written.hash) {
      return this.fail(
        entry.seq,
        lineNo,
        'anchor_mismatch',
        `seq ${entry.seq} is not the entry this server wrote there: the log was rewritten up to it`,
      );
    }
    const anchor = this.options.anchor?.value;
    if (!anchor || entry.seq !== anchor.seq) return true;
    if (entry.hash !== anchor.hash || entry.action !== CHECKPOINT_ACTION) {
      return this.fail(
        entry.seq,
        lineNo,
        'anchor_mismatch',
        `seq ${entry.seq} is not the checkpoint anchored in ${this.options.anchor!.location} (hash ${anchor.hash.slice(0, 12)}…): the log was rewritten up to it`,
      );
    }
    this.anchorFound = true;
    return true;
  }

  /** What only the whole log can show: a cut-off end, unrecorded deletions, unsigned recoveries. */
  private checkEnd(): void {
    const lastSeq = this.nextSeq === null ? this.startsAfter : this.nextSeq - 1;
    const line = this.segmentLine;
    const anchor = this.options.anchor;
    if (anchor?.value && !this.anchorFound) {
      const from = lastSeq + 1;
      const range = from === anchor.value.seq ? `seq ${from} is` : `seq ${from}–${anchor.value.seq} are`;
      const torn = this.tornTail ? ` (its last line is cut short: ${this.tornTail.bytes} bytes)` : '';
      this.fail(
        from,
        line,
        'entries_missing_at_end',
        `${range} missing: the log ends at seq ${lastSeq}${torn}, but the checkpoint at seq ${anchor.value.seq} is anchored in ${anchor.location}`,
      );
      return;
    }
    const written = this.options.writtenThrough;
    if (written && lastSeq < written.seq) {
      const from = lastSeq + 1;
      const range = from === written.seq ? `seq ${from} is` : `seq ${from}–${written.seq} are`;
      this.fail(
        from,
        line,
        'entries_missing_at_end',
        `${range} missing: the log ends at seq ${lastSeq}, but this server has written through seq ${written.seq}`,
      );
      return;
    }
    if (anchor && anchor.value === null && this.checkpoints > 0) {
      this.fail(
        lastSeq,
        line,
        'anchor_missing',
        `the log holds ${this.checkpoints} signed checkpoint(s), but no anchor is recorded in ${anchor.location}: its end cannot be checked (was the anchor deleted?)`,
      );
      return;
    }
    if (!this.options.keys) return;
    const pruned = this.lastCheckpoint?.payload.pruned_through_seq ?? 0;
    if (!this.options.allowPartialStart && this.startsAfter > pruned) {
      const range =
        pruned + 1 === this.startsAfter
          ? `seq ${this.startsAfter} is`
          : `seq ${pruned + 1}–${this.startsAfter} are`;
      this.broken ??= {
        seq: pruned + 1,
        file: this.firstName ?? '?',
        line: 1,
        reason: 'deleted_not_pruned',
        message: `${range} missing: their file was deleted, but no signed checkpoint records retention pruning them (retention pruned through seq ${pruned})`,
      };
      return;
    }
    const signedThrough = this.lastCheckpoint?.payload.seq ?? 0;
    const unsigned = this.recovered.find((tear) => tear.seq > signedThrough);
    if (unsigned) {
      this.broken ??= {
        seq: unsigned.seq,
        file: unsigned.file,
        line: unsigned.line + 1,
        reason: 'recovery_unsigned',
        message: `the audit.recover entry at seq ${unsigned.seq} is not covered by a signed checkpoint (the writer signs one right after every recovery): it is forged`,
      };
    }
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
