import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { applyToMaps } from '../index/state-op.js';
import { stateWriteFailed } from '../state-errors.js';
import { JOURNAL_FORMAT, JOURNAL_VERSION, encodeLine } from './journal-format.js';
import { loadStateFiles, type StateProblem } from './load-state.js';
import { writeSnapshot } from './snapshot-file.js';
import { StateDirLock } from './state-dir-lock.js';
import { nodeStateFs, writeFileAtomic, type StateFs } from './state-fs.js';

export interface RepairReport {
  /** What is wrong and what accepting it drops; empty when the state is intact. */
  readonly problems: readonly StateProblem[];
  /** Tasks the repaired state keeps. */
  readonly tasks: number;
  /** True when the files were rewritten (`accept` and problems found). */
  readonly repaired: boolean;
  /** Copies of the damaged files, kept beside them. */
  readonly copies: readonly string[];
}

/**
 * `state repair`: reads the state leniently (skipping damaged lines, accepting earlier formats)
 * and reports each problem with what accepting it drops. With `accept`, under the directory
 * lock, keeps the damaged files as `*.damaged-<time>`, then writes what could be read as a new
 * checksummed snapshot with an empty journal, and stores a `state.repair` audit entry in the
 * outbox of the new snapshot (so it reaches the audit log whatever happens next).
 */
export async function repairState(
  stateFile: string,
  options: { accept: boolean; actor: string; now?: () => Date },
  fs: StateFs = nodeStateFs,
): Promise<RepairReport> {
  const target = resolve(stateFile);
  const journalFile = `${target}.journal`;
  const now = options.now ?? (() => new Date());
  await fs.mkdirp(dirname(target));
  const lock = await StateDirLock.acquire(dirname(target), { purpose: 'repair' });
  try {
    const loaded = await loadStateFiles(fs, target, journalFile, { salvage: true });
    const maps = loaded.snapshot?.maps ?? {
      tasks: new Map(),
      revocations: new Map(),
      idempotency: new Map(),
      outbox: new Map(),
    };
    for (const record of loaded.records) for (const op of record.ops) applyToMaps(maps, op);
    const report = {
      problems: loaded.problems,
      tasks: maps.tasks.size,
      repaired: false,
      copies: [] as string[],
    };
    if (!options.accept || loaded.problems.length === 0) return report;
    const stamp = now().toISOString().replace(/[:.]/g, '-');
    try {
      for (const file of [target, journalFile]) {
        if ((await fs.readFile(file)) === null) continue;
        const copy = `${file}.damaged-${stamp}`;
        await fs.copyFile(file, copy);
        report.copies.push(copy);
      }
      const stateId = loaded.stateId ?? randomUUID();
      const snapshotId = randomUUID();
      const changeId = randomUUID();
      maps.outbox.set(changeId, {
        change_id: changeId,
        stored_at: now().toISOString(),
        entry: {
          actor: options.actor,
          role: 'admin',
          action: 'state.repair',
          decision: 'allowed',
          success: true,
          reason: 'accepted the loss of damaged state (orchestrator state repair --accept-loss)',
          details: {
            problems: loaded.problems.map((p) => ({
              code: p.code,
              file: p.file,
              where: p.where,
              dropped: p.loss,
            })),
            tasks_kept: maps.tasks.size,
            copies: report.copies,
          },
        },
      });
      await writeSnapshot(fs, target, {
        state_id: stateId,
        snapshot_id: snapshotId,
        previous_snapshot_id: null,
        last_seq: loaded.lastSeq,
        written_at: now().toISOString(),
        maps,
      });
      const header = encodeLine({
        journal: JOURNAL_FORMAT,
        version: JOURNAL_VERSION,
        state_id: stateId,
        snapshot_id: snapshotId,
        base_seq: loaded.lastSeq,
      });
      await writeFileAtomic(fs, journalFile, (handle) => handle.write(Buffer.from(header)));
    } catch (error) {
      throw stateWriteFailed(`the state file ${target}`, error);
    }
    return { ...report, repaired: true };
  } finally {
    await lock.release();
  }
}
