import { parseJournal, type JournalRecord } from './journal-format.js';
import { readSnapshot, type Snapshot } from './snapshot-file.js';
import type { StateFs } from './state-fs.js';

export type StateWarningCode =
  | 'journal_torn_tail'
  | 'journal_corrupt_record'
  | 'journal_bad_header'
  | 'journal_seq_gap'
  | 'journal_foreign'
  | 'journal_orphaned'
  | 'stale_lock_taken_over'
  | 'checkpoint_failed';

/** Something start-up (or a background checkpoint) recovered from; reported, not fatal. */
export interface StateWarning {
  readonly code: StateWarningCode;
  readonly message: string;
  readonly line?: number;
}

export interface LoadedState {
  readonly snapshot: Snapshot | null;
  /** Journal records to apply on top of the snapshot, in order. */
  readonly records: readonly JournalRecord[];
  /** The sequence number of the last change in the loaded state. */
  readonly lastSeq: number;
  readonly journalBytes: number;
  readonly warnings: readonly StateWarning[];
  /** The journal holds something that was not applied (damaged or foreign): keep a copy. */
  readonly keepJournalCopy: boolean;
  /** The journal's header names a snapshot other than the one read. */
  readonly journalMismatch: boolean;
  /**
   * The journal continues the snapshot read, every record in it was applied, in order and
   * without a gap, and it ends with a complete line: the store may keep appending to it.
   */
  readonly appendable: boolean;
}

/**
 * Reads the snapshot and decides which journal records apply to it:
 * - header names the snapshot → records after `last_seq`, in order (gaps reported);
 * - header names the snapshot's predecessor → a checkpoint was interrupted after writing the
 *   snapshot; its records are already in it;
 * - anything else (e.g. a snapshot restored by hand next to a newer journal) → ignored, reported.
 * Does not change any file.
 */
export async function loadStateFiles(
  fs: StateFs,
  stateFile: string,
  journalFile: string,
): Promise<LoadedState> {
  const snapshot = await readSnapshot(fs, stateFile);
  const bytes = (await fs.readFile(journalFile)) ?? Buffer.alloc(0);
  const baseSeq = snapshot?.last_seq ?? 0;
  const result = {
    snapshot,
    records: [] as JournalRecord[],
    lastSeq: baseSeq,
    journalBytes: bytes.length,
    warnings: [] as StateWarning[],
    keepJournalCopy: false,
    journalMismatch: false,
    appendable: false,
  };
  if (bytes.length === 0) return result;
  const parsed = parseJournal(bytes, journalFile);
  result.warnings.push(...parsed.warnings);
  result.keepJournalCopy = parsed.warnings.some((w) => w.code !== 'journal_torn_tail');
  const header = parsed.header;
  if (header === null) return result;
  if (snapshot === null) {
    result.keepJournalCopy = parsed.records.length > 0;
    result.warnings.push({
      code: 'journal_orphaned',
      message: `${journalFile} has no state file ${stateFile} beside it; its ${parsed.records.length} records were ignored`,
    });
    return result;
  }
  if (header.snapshot_id !== snapshot.snapshot_id) {
    result.journalMismatch = true;
    const superseded = header.snapshot_id === snapshot.previous_snapshot_id;
    const unapplied = parsed.records.filter((r) => r.seq > snapshot.last_seq);
    if (!superseded || unapplied.length > 0) {
      result.keepJournalCopy = true;
      result.warnings.push({
        code: 'journal_foreign',
        message:
          `${journalFile} belongs to another state file (snapshot ${header.snapshot_id}, not ${snapshot.snapshot_id}; ` +
          `restored from a backup?); its ${parsed.records.length} records were ignored`,
      });
    }
    return result;
  }
  let expected = snapshot.last_seq + 1;
  let inOrder = header.base_seq === snapshot.last_seq;
  for (const record of parsed.records) {
    if (record.seq < expected) {
      inOrder = false;
      continue;
    }
    if (record.seq > expected) {
      inOrder = false;
      result.warnings.push({
        code: 'journal_seq_gap',
        message: `${journalFile}: changes ${expected}..${record.seq - 1} are missing`,
      });
    }
    result.records.push(record);
    expected = record.seq + 1;
  }
  result.lastSeq = expected - 1;
  result.appendable = inOrder && parsed.warnings.length === 0 && !result.keepJournalCopy;
  return result;
}
