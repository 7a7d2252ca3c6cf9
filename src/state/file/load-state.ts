import { UnavailableError } from '../../common/domain/domain-error.js';
import { legacyHeader, parseJournal, type JournalRecord } from './journal-format.js';
import { parseLegacySnapshot } from './legacy-snapshot.js';
import { DAMAGE_REMEDY, parseSnapshot, SNAPSHOT_VERSION, type Snapshot } from './snapshot-file.js';
import type { StateFs } from './state-fs.js';

export type StateWarningCode = 'journal_torn_tail' | 'stale_lock_taken_over' | 'checkpoint_failed';

/** Something start-up (or a background checkpoint) recovered from; reported, not fatal. */
export interface StateWarning {
  readonly code: StateWarningCode;
  readonly message: string;
  readonly line?: number;
}

export type StateProblemCode =
  | 'snapshot_missing'
  | 'snapshot_damaged'
  | 'snapshot_old_format'
  | 'journal_missing'
  | 'journal_bad_header'
  | 'journal_old_format'
  | 'journal_damaged_record'
  | 'journal_seq_gap'
  | 'journal_out_of_order'
  | 'journal_foreign'
  | 'journal_other_snapshot';

/**
 * Damage found in the state files: the server refuses to start on any of it (DESIGN.md §7);
 * `state repair --accept-loss` accepts it, dropping `loss`.
 */
export interface StateProblem {
  readonly code: StateProblemCode;
  readonly file: string;
  /** `line 3`, `byte 120`, or `the whole file`. */
  readonly where: string;
  readonly what: string;
  /** What accepting the problem drops (or `nothing`). */
  readonly loss: string;
}

export interface LoadedState {
  readonly snapshot: Snapshot | null;
  /** The state directory's identity (null: a fresh directory, or no id could be read). */
  readonly stateId: string | null;
  /** Journal records to apply on top of the snapshot, in order. */
  readonly records: readonly JournalRecord[];
  /** The sequence number of the last change in the loaded state. */
  readonly lastSeq: number;
  readonly journalBytes: number;
  readonly warnings: readonly StateWarning[];
  /** Damage: empty for state the server may start on. */
  readonly problems: readonly StateProblem[];
  /** The journal's header names a snapshot other than the one read (a checkpoint ran between reads?). */
  readonly journalMismatch: boolean;
  /**
   * The journal continues the snapshot read, every record in it was applied, in order and
   * without a gap, and it ends with a complete line: the store may keep appending to it.
   */
  readonly appendable: boolean;
}

export interface LoadOptions {
  /**
   * Read what can be read and report the rest as problems (for `state repair`): damaged
   * snapshot task lines and journal records are skipped, earlier formats are accepted.
   * Without it a damaged snapshot throws `state_damaged` at once.
   */
  readonly salvage?: boolean;
}

/**
 * Reads the snapshot and decides which journal records apply to it. Only a torn last journal
 * line is recovered from silently (reported as a warning); everything else is a problem:
 * - no snapshot beside a journal (deleted?), or no journal beside a snapshot that had one;
 * - a journal header from another state directory (`state_id`) or another snapshot (except the
 *   one the snapshot replaced, when a checkpoint was interrupted: its records are in the snapshot);
 * - a complete line failing its checksum, a gap or disorder in the sequence numbers.
 * Does not change any file.
 */
export async function loadStateFiles(
  fs: StateFs,
  stateFile: string,
  journalFile: string,
  options: LoadOptions = {},
): Promise<LoadedState> {
  const problems: StateProblem[] = [];
  const snapshot = await readSnapshotFile(fs, stateFile, problems, options);
  const bytes = (await fs.readFile(journalFile)) ?? Buffer.alloc(0);
  const result = {
    snapshot,
    stateId: snapshot?.state_id ?? null,
    records: [] as JournalRecord[],
    lastSeq: snapshot?.last_seq ?? 0,
    journalBytes: bytes.length,
    warnings: [] as StateWarning[],
    problems,
    journalMismatch: false,
    appendable: false,
  };
  if (bytes.length === 0) {
    // Every checkpoint leaves a journal with a header; only a snapshot never followed by one
    // (the very first, or a restore, cut short by a crash) legitimately has none.
    if (snapshot !== null && (snapshot.previous_snapshot_id !== null || snapshot.last_seq > 0)) {
      problems.push({
        code: 'journal_missing',
        file: journalFile,
        where: 'the whole file',
        what: `the journal is missing or empty beside ${stateFile} (deleted?)`,
        loss: `any change stored after change ${snapshot.last_seq}`,
      });
    }
    return result;
  }
  const parsed = parseJournal(bytes);
  if (parsed.tornTail) {
    result.warnings.push({
      code: 'journal_torn_tail',
      line: parsed.tornTail.line,
      message: `${journalFile}: discarded an incomplete last line (line ${parsed.tornTail.line}, ${parsed.tornTail.bytes} bytes at byte ${parsed.tornTail.offset}) left by an interrupted write; it was never acknowledged`,
    });
  }
  const total = parsed.records.length;
  let header = parsed.header;
  if (header === null) {
    const legacy = options.salvage && parsed.legacyVersion !== null ? legacyHeader(bytes) : null;
    problems.push(
      parsed.legacyVersion !== null
        ? {
            code: 'journal_old_format',
            file: journalFile,
            where: 'line 1',
            what: `the journal was written by an earlier version (format ${parsed.legacyVersion}, not tied to its state directory)`,
            loss: 'nothing, if it is this directory’s own journal',
          }
        : {
            code: 'journal_bad_header',
            file: journalFile,
            where: 'line 1',
            what: 'the journal header is damaged (checksum mismatch or not a journal)',
            loss: `the ${total} journal records after it`,
          },
    );
    if (!legacy) return result;
    header = {
      journal: 'workflow-orchestrator/state-journal',
      version: 0,
      state_id: snapshot?.state_id ?? '',
      ...legacy,
    };
  }
  for (const bad of parsed.damaged.filter((d) => d.line > 1)) {
    problems.push({
      code: 'journal_damaged_record',
      file: journalFile,
      where: `line ${bad.line} (byte ${bad.offset})`,
      what: 'a journal record fails its checksum (changed after it was written)',
      loss: `the change recorded on line ${bad.line}`,
    });
  }
  if (snapshot === null) {
    problems.push({
      code: 'snapshot_missing',
      file: stateFile,
      where: 'the whole file',
      what: `the state file is missing but its journal ${journalFile} is there (deleted?)`,
      loss:
        header.base_seq === 0
          ? 'nothing: the journal holds every change since the directory was created'
          : `every change up to change ${header.base_seq} (the journal continues from there)`,
    });
    if (!options.salvage) return result;
    result.stateId = header.state_id || null;
  } else if (header.state_id !== snapshot.state_id && header.version !== 0) {
    problems.push({
      code: 'journal_foreign',
      file: journalFile,
      where: 'line 1',
      what: `the journal belongs to another state directory (state_id ${header.state_id}, not ${snapshot.state_id}; copied from another server?)`,
      loss: `its ${total} records`,
    });
    return result;
  } else if (header.snapshot_id !== snapshot.snapshot_id) {
    result.journalMismatch = true;
    const superseded = header.snapshot_id === snapshot.previous_snapshot_id;
    const unapplied = parsed.records.filter((r) => r.record.seq > snapshot.last_seq);
    if (!superseded || unapplied.length > 0) {
      problems.push({
        code: 'journal_other_snapshot',
        file: journalFile,
        where: 'line 1',
        what: `the journal continues snapshot ${header.snapshot_id}, not the state file's ${snapshot.snapshot_id} (state file restored by hand?)`,
        loss: `its ${unapplied.length} records after change ${snapshot.last_seq}`,
      });
    }
    return result;
  }
  const base = snapshot?.last_seq ?? header.base_seq;
  let expected = base + 1;
  let inOrder = header.base_seq === base;
  if (!inOrder) {
    problems.push({
      code: 'journal_bad_header',
      file: journalFile,
      where: 'line 1',
      what: `the journal continues change ${header.base_seq}, but the state file ends at change ${base}`,
      loss: 'nothing that can be named: the sequence does not line up',
    });
  }
  const damagedLines = parsed.damaged.map((d) => d.line);
  let previousLine = 1;
  for (const { line, record } of parsed.records) {
    const after = previousLine;
    previousLine = line;
    if (record.seq < expected) {
      if (record.seq > base) {
        problems.push({
          code: 'journal_out_of_order',
          file: journalFile,
          where: `line ${line}`,
          what: `change ${record.seq} comes after change ${expected - 1}`,
          loss: `the repeated change ${record.seq} on line ${line}`,
        });
      }
      inOrder = false;
      continue;
    }
    // A gap right after a damaged line is that line's record: already reported.
    const explained = damagedLines.some((d) => d > after && d < line);
    if (record.seq > expected) inOrder = false;
    if (record.seq > expected && !explained) {
      problems.push({
        code: 'journal_seq_gap',
        file: journalFile,
        where: `line ${line}`,
        what: `changes ${expected}..${record.seq - 1} are missing before it (a line deleted?)`,
        loss: `changes ${expected}..${record.seq - 1}, already gone`,
      });
    }
    result.records.push(record);
    expected = record.seq + 1;
  }
  result.lastSeq = expected - 1;
  result.appendable = inOrder && parsed.tornTail === null && problems.length === 0;
  return result;
}

async function readSnapshotFile(
  fs: StateFs,
  stateFile: string,
  problems: StateProblem[],
  options: LoadOptions,
): Promise<Snapshot | null> {
  const bytes = await fs.readFile(stateFile);
  if (bytes === null) return null;
  if (!options.salvage) return parseSnapshot(bytes, stateFile);
  const legacy = parseLegacySnapshot(bytes);
  if (legacy !== null && legacy.version < SNAPSHOT_VERSION) {
    problems.push({
      code: 'snapshot_old_format',
      file: stateFile,
      where: 'the whole file',
      what: `the state file was written by an earlier version (format ${legacy.version}, without checksums)`,
      loss: 'nothing, if the file is intact (it cannot be verified)',
    });
    return legacy.snapshot;
  }
  return parseSnapshot(bytes, stateFile, (line, why) =>
    problems.push({
      code: 'snapshot_damaged',
      file: stateFile,
      where: `line ${line}`,
      what: `a task line fails its checksum (${why})`,
      loss: `the task on line ${line}`,
    }),
  );
}

/** The one-line refusal for state the server must not start on. */
export function stateDamaged(problem: StateProblem, more: number): UnavailableError {
  return new UnavailableError(
    'state_damaged',
    `Damaged state: ${problem.file} ${problem.where}: ${problem.what}` +
      `${more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'})` : ''}. ${DAMAGE_REMEDY}`,
  );
}

/** Throws `state_damaged` for the first problem, if any. */
export function refuseDamage(loaded: LoadedState): void {
  const [first] = loaded.problems;
  if (first) throw stateDamaged(first, loaded.problems.length - 1);
}
