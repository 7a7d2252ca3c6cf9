import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ManualClock } from '../../common/domain/clock.js';
import { DomainError } from '../../common/domain/domain-error.js';
import { SequentialIds } from '../../common/domain/ids.js';
import { createTask } from '../../tasks/domain/task-factory.js';
import { transition } from '../../tasks/domain/task-state-machine.js';
import type { Task } from '../../tasks/domain/task.model.js';
import { FileStateRepository, type FileStateOptions } from './file-state.repository.js';
import { backupState, restoreState } from './state-backup.js';
import { LOCK_FILE_NAME, StateLockedError } from './state-dir-lock.js';
import { nodeStateFs, type StateFs } from './state-fs.js';
import { rejectionCodeOf } from '../../../test/support/domain-errors.js';

const T0 = Date.UTC(2026, 0, 1);
const LEASE = 60_000;

/** The real file system, with fdatasync counting and failures injected on demand. */
class FaultyFs implements StateFs {
  datasyncs = 0;
  writes = 0;
  /** When set, every write, sync, rename and open fails with this errno code. */
  failWith: string | null = null;
  /** When set, only writes to files opened for appending (the journal) fail. */
  failAppendsWith: string | null = null;
  /** When set, every fdatasync waits for it (a write that is not durable yet). */
  syncGate: Promise<void> | null = null;

  private fault(op: string): void {
    if (this.failWith)
      throw Object.assign(new Error(`${this.failWith}: injected ${op} failure`), { code: this.failWith });
  }

  mkdirp = nodeStateFs.mkdirp;
  readFile = nodeStateFs.readFile;
  copyFile = nodeStateFs.copyFile;
  unlink = nodeStateFs.unlink;
  syncDir = nodeStateFs.syncDir;
  rename = async (from: string, to: string) => {
    this.fault('rename');
    await nodeStateFs.rename(from, to);
  };
  open: StateFs['open'] = async (path, mode) => {
    this.fault('open');
    const handle = await nodeStateFs.open(path, mode);
    return {
      write: async (data) => {
        this.fault('write');
        if (mode === 'append' && this.failAppendsWith) {
          throw Object.assign(new Error(`${this.failAppendsWith}: injected append failure`), {
            code: this.failAppendsWith,
          });
        }
        this.writes += 1;
        await handle.write(data);
      },
      datasync: async () => {
        this.fault('fdatasync');
        this.datasyncs += 1;
        await this.syncGate;
        await handle.datasync();
      },
      sync: async () => {
        this.fault('fsync');
        await handle.sync();
      },
      truncate: (length) => handle.truncate(length),
      close: () => handle.close(),
    };
  };
}

describe('FileStateRepository', () => {
  let dir: string;
  let stateFile: string;
  let clock: ManualClock;
  let ids: SequentialIds;
  const open: FileStateRepository[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'file-state-'));
    stateFile = join(dir, 'state.json');
    clock = new ManualClock(T0);
    ids = new SequentialIds('task');
  });

  afterEach(async () => {
    for (const repo of open.splice(0)) await repo.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  async function openRepo(options: Partial<FileStateOptions> = {}): Promise<FileStateRepository> {
    const repo = await FileStateRepository.open({ stateFile, clock, ...options });
    open.push(repo);
    return repo;
  }

  it('does not list the audit entry of a change that is not durable yet (a crash could still lose it)', async () => {
    const fs = new FaultyFs();
    const repo = await openRepo({ fs });
    let release!: () => void;
    fs.syncGate = new Promise((resolve) => (release = resolve));
    const writing = repo.createTask(newTask(), {
      audit: (t) => ({
        actor: 'op',
        action: 'task.create',
        decision: 'allowed',
        success: true,
        task_id: t.id,
      }),
    });
    await new Promise((resolve) => setTimeout(resolve, 50)); // the batch is written, waiting on fdatasync
    expect(fs.datasyncs).toBeGreaterThan(0);
    expect(await repo.pendingAudit()).toEqual([]);
    release();
    await writing;
    expect((await repo.pendingAudit()).map((p) => p.entry.action)).toEqual(['task.create']);
  });

  function newTask(title = 't'): Task {
    clock.advance(1);
    return createTask(
      { title, workflow: { name: 'w', version: '1' }, initialPhase: 'PLAN', maxAttempts: 3, createdBy: 'op' },
      { clock, ids },
    );
  }

  /** The files as a crash would leave them now (everything acknowledged is fsynced). */
  async function crashCopy(): Promise<string> {
    const copyDir = await mkdtemp(join(dir, 'crash-'));
    await copyFile(stateFile, join(copyDir, 'state.json'));
    await copyFile(`${stateFile}.journal`, join(copyDir, 'state.json.journal'));
    return join(copyDir, 'state.json');
  }

  async function fillAndWork(repo: FileStateRepository): Promise<Task> {
    for (let i = 0; i < 5; i++) await repo.createTask(newTask(`t${i}`));
    const held = (await repo.claimNextEligible({
      agentId: 'a1',
      capabilities: [],
      leaseMs: LEASE,
      now: clock.now(),
    }))!;
    const moved = await repo.mutateTask(held.id, (t) =>
      transition(t, { agentId: 'a1', toPhase: 'TDD', artifacts: { plan: { ok: true } } }, clock),
    );
    await repo.addRevocation('jti-1', T0 + 10_000);
    await repo.putIdempotencyRecord({ key: 'k1', response: { ok: 1 }, expires_at: T0 + 10_000 }, T0);
    return moved;
  }

  describe('durability', () => {
    it('recovers every acknowledged change from snapshot + journal after a crash', async () => {
      const repo = await openRepo();
      const moved = await fillAndWork(repo);
      const copy = await crashCopy();
      const journal = await readFile(`${copy}.journal`, 'utf8');
      expect(journal.trim().split('\n')).toHaveLength(1 + 5 + 2 + 2); // header + creates + claim/transition + rev/idem

      const reopened = await openRepo({ stateFile: copy });
      expect(reopened.startup).toMatchObject({ tasks: 5, replayedRecords: 9, warnings: [] });
      expect(await reopened.getTask(moved.id)).toEqual(moved);
      expect(await reopened.isRevoked('jti-1')).toBe(true);
      expect(await reopened.getIdempotencyRecord('k1', T0)).toMatchObject({ response: { ok: 1 } });
      expect(await reopened.countByStatus()).toMatchObject({ queued: 4, claimed: 1 });
      // Start-up kept the journal as it was (the next checkpoint compacts it).
      expect((await readFile(`${copy}.journal`, 'utf8')).trim().split('\n')).toHaveLength(10);
    });

    it('survives a clean close and reopen; close checkpoints', async () => {
      const repo = await openRepo();
      const moved = await fillAndWork(repo);
      await repo.close();
      expect((await readFile(`${stateFile}.journal`, 'utf8')).trim().split('\n')).toHaveLength(1);
      const reopened = await openRepo();
      expect(reopened.startup).toMatchObject({ tasks: 5, replayedRecords: 0, warnings: [] });
      expect(await reopened.getTask(moved.id)).toEqual(moved);
    });

    it('checkpoint rewrites the snapshot and truncates the journal', async () => {
      const repo = await openRepo();
      await fillAndWork(repo);
      const before = (await stat(`${stateFile}.journal`)).size;
      await repo.checkpoint();
      const after = (await stat(`${stateFile}.journal`)).size;
      expect(after).toBeLessThan(before);
      expect((await readFile(`${stateFile}.journal`, 'utf8')).trim().split('\n')).toHaveLength(1);
      expect((await repo.health()).details).toMatchObject({ journal_records: 0 });
      const snapshot = JSON.parse(await readFile(stateFile, 'utf8')) as {
        tasks: unknown[];
        last_seq: number;
      };
      expect(snapshot.tasks).toHaveLength(5);
      expect(snapshot.last_seq).toBe(9);
      await repo.createTask(newTask());
      const reopened = await openRepo({ stateFile: await crashCopy() });
      expect(reopened.startup).toMatchObject({ tasks: 6, replayedRecords: 1 });
    });

    it('a checkpoint racing with writes loses nothing', async () => {
      const repo = await openRepo();
      const creates = Array.from({ length: 40 }, () => repo.createTask(newTask()));
      const checkpoint = repo.checkpoint();
      const more = Array.from({ length: 40 }, () => repo.createTask(newTask()));
      await Promise.all([...creates, checkpoint, ...more]);
      const reopened = await openRepo({ stateFile: await crashCopy() });
      expect(reopened.startup.tasks).toBe(80);
      expect(reopened.startup.warnings).toEqual([]);
    });

    it('checkpoints on an interval when something changed', async () => {
      const repo = await openRepo();
      repo.startAutoCheckpoint(20);
      await repo.createTask(newTask());
      await new Promise((resolve) => setTimeout(resolve, 120));
      repo.stopAutoCheckpoint();
      expect((await repo.health()).details).toMatchObject({ journal_records: 0 });
      expect(JSON.parse(await readFile(stateFile, 'utf8')).tasks).toHaveLength(1);
    });
  });

  describe('reopening a journal with records', () => {
    interface SnapshotHead {
      snapshot_id: string;
      previous_snapshot_id: string | null;
      last_seq: number;
      tasks: { title: string }[];
    }
    const readSnapshot = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as SnapshotHead;
    const journalLines = async (file: string) =>
      (await readFile(`${file}.journal`, 'utf8')).trim().split('\n');

    it('opens without writing a snapshot or a journal: the journal is kept as it is', async () => {
      const repo = await openRepo();
      const moved = await fillAndWork(repo);
      const copy = await crashCopy();
      const snapshotBefore = await stat(copy);
      const snapshotBytes = await readFile(copy);
      const journalBefore = await readFile(`${copy}.journal`);

      const fs = new FaultyFs();
      const reopened = await openRepo({ stateFile: copy, fs });
      expect(reopened.startup).toMatchObject({
        tasks: 5,
        replayedRecords: 9,
        warnings: [],
      });
      expect(fs.writes).toBe(0);
      expect(fs.datasyncs).toBe(1); // the replayed records are made durable before use
      const snapshotAfter = await stat(copy);
      expect([snapshotAfter.ino, snapshotAfter.mtimeMs]).toEqual([
        snapshotBefore.ino,
        snapshotBefore.mtimeMs,
      ]);
      expect(await readFile(copy)).toEqual(snapshotBytes);
      expect(await readFile(`${copy}.journal`)).toEqual(journalBefore);
      expect((await readdir(join(copy, '..'))).filter((f) => f.includes('.tmp-'))).toEqual([]);
      expect(await reopened.getTask(moved.id)).toEqual(moved);
      expect(await reopened.health()).toMatchObject({ status: 'up', details: { journal_records: 9 } });
    });

    it('appends to the same journal after reopening; the appends survive a crash and a reopen', async () => {
      const repo = await openRepo();
      await fillAndWork(repo);
      const copy = await crashCopy();
      const journalIno = (await stat(`${copy}.journal`)).ino;
      const snapshotId = (await readSnapshot(copy)).snapshot_id;

      const reopened = await openRepo({ stateFile: copy });
      const added = await reopened.createTask(newTask('after reopen'));
      await reopened.addRevocation('jti-2', T0 + 10_000);
      expect((await stat(`${copy}.journal`)).ino).toBe(journalIno);
      const lines = await journalLines(copy);
      expect(lines).toHaveLength(1 + 9 + 2);
      expect(lines.slice(1).map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(
        Array.from({ length: 11 }, (_, i) => i + 1),
      );
      expect((await readSnapshot(copy)).snapshot_id).toBe(snapshotId);

      // Crash (no close): everything acknowledged is in the journal.
      const crashed = await copyOf(copy);
      const again = await openRepo({ stateFile: crashed });
      expect(again.startup).toMatchObject({ tasks: 6, replayedRecords: 11, warnings: [] });
      expect(await again.getTask(added.id)).toEqual(added);
      expect(await again.isRevoked('jti-2')).toBe(true);
      await again.createTask(newTask('third life'));

      // A clean close compacts; the next open replays nothing.
      await again.close();
      expect(await journalLines(crashed)).toHaveLength(1);
      const last = await openRepo({ stateFile: crashed });
      expect(last.startup).toMatchObject({ tasks: 7, replayedRecords: 0, warnings: [] });
    });

    it('replays a task changed many times to the same state, counts and claim order', async () => {
      const repo = await openRepo();
      const tasks: Task[] = [];
      for (let i = 0; i < 6; i++) tasks.push(await repo.createTask(newTask(`t${i}`)));
      for (let round = 1; round <= 3; round++) {
        for (const [i, task] of tasks.entries()) {
          await repo.mutateTask(task.id, (t) => ({ ...t, priority: (i * round) % 4 }));
        }
      }
      await repo.claimNextEligible({ agentId: 'a1', capabilities: [], leaseMs: LEASE, now: clock.now() });
      await repo.addRevocation('jti-1', T0 + 1);
      await repo.addRevocation('jti-2', T0 + 10_000);
      expect(await repo.pruneRevocations(T0 + 5_000)).toBe(1);
      const reopened = await openRepo({ stateFile: await crashCopy() });
      expect(reopened.startup).toMatchObject({ tasks: 6, warnings: [] });
      expect(await reopened.listTasks({})).toEqual(await repo.listTasks({}));
      expect(await reopened.countByStatus()).toEqual(await repo.countByStatus());
      expect([await reopened.isRevoked('jti-1'), await reopened.isRevoked('jti-2')]).toEqual([false, true]);
      const claimAll = async (r: FileStateRepository) => {
        const ids: string[] = [];
        for (let i = 0; i < 6; i++) {
          const claimed = await r.claimNextEligible({
            agentId: 'b',
            capabilities: [],
            leaseMs: LEASE,
            now: clock.now(),
          });
          if (claimed) ids.push(claimed.id);
        }
        return ids;
      };
      expect(await claimAll(reopened)).toEqual(await claimAll(repo));
    });

    it('the auto checkpoint compacts the kept journal afterwards', async () => {
      const repo = await openRepo();
      await fillAndWork(repo);
      const copy = await crashCopy();
      const first = await readSnapshot(copy);
      expect(first.tasks).toHaveLength(0);

      const reopened = await openRepo({ stateFile: copy });
      reopened.startAutoCheckpoint(20);
      for (let i = 0; i < 100 && (await reopened.health()).details['journal_records'] !== 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      reopened.stopAutoCheckpoint();
      expect((await reopened.health()).details).toMatchObject({ journal_records: 0 });
      const compacted = await readSnapshot(copy);
      expect(compacted).toMatchObject({ previous_snapshot_id: first.snapshot_id, last_seq: 9 });
      expect(compacted.tasks).toHaveLength(5);
      expect(await journalLines(copy)).toHaveLength(1);
      await reopened.createTask(newTask());
      const again = await openRepo({ stateFile: await copyOf(copy) });
      expect(again.startup).toMatchObject({ tasks: 6, replayedRecords: 1, warnings: [] });
    });

    it('compacts a kept journal within 5 s of start-up, long before the interval', async () => {
      const repo = await openRepo();
      await fillAndWork(repo);
      const reopened = await openRepo({ stateFile: await crashCopy() });
      expect((await reopened.health()).details['journal_records']).toBeGreaterThan(0);
      reopened.startAutoCheckpoint(3_600_000);
      for (let i = 0; i < 80 && (await reopened.health()).details['journal_records'] !== 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      reopened.stopAutoCheckpoint();
      expect((await reopened.health()).details).toMatchObject({ journal_records: 0 });
    }, 15_000);

    it('a background checkpoint cut short after its snapshot loses nothing', async () => {
      const repo = await openRepo();
      const moved = await fillAndWork(repo);
      const copy = await crashCopy();
      const fs = new FaultyFs();
      const reopened = await openRepo({ stateFile: copy, fs });
      const added = await reopened.createTask(newTask('before checkpoint'));
      // The new snapshot is written, then making the new journal fails (as a crash would there).
      const open = fs.open;
      fs.open = async (path, mode) => {
        if (path.includes('.journal.tmp-')) throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
        return open(path, mode);
      };
      expect(await rejectionCodeOf(reopened.checkpoint())).toBe('state_write_failed');
      expect((await readSnapshot(copy)).last_seq).toBe(10);
      const crashed = await copyOf(copy); // snapshot: new one; journal: the old, kept one
      fs.open = open;
      const after = await reopened.createTask(newTask('after failed checkpoint')); // rebuilds first
      expect(await journalLines(copy)).toHaveLength(2);

      const fromCrash = await openRepo({ stateFile: crashed });
      expect(fromCrash.startup).toMatchObject({ tasks: 6, replayedRecords: 0, warnings: [] });
      expect(await fromCrash.getTask(moved.id)).toEqual(moved);
      expect(await fromCrash.getTask(added.id)).toEqual(added);
      const fromLive = await openRepo({ stateFile: await copyOf(copy) });
      expect(fromLive.startup).toMatchObject({ tasks: 7, warnings: [] });
      expect(await fromLive.getTask(after.id)).toEqual(after);
    });

    it('compacts at open after a torn tail, and loses nothing acknowledged', async () => {
      const repo = await openRepo();
      for (let i = 0; i < 5; i++) await repo.createTask(newTask(`t${i}`));
      const copy = await crashCopy();
      const first = await readSnapshot(copy);
      await writeFile(`${copy}.journal`, '{"crc":"00000000","seq":10,"at":"2026-', { flag: 'a' });
      const reopened = await openRepo({ stateFile: copy });
      expect(reopened.startup.warnings.map((w) => w.code)).toEqual(['journal_torn_tail']);
      const rewritten = await readSnapshot(copy);
      expect(rewritten.previous_snapshot_id).toBe(first.snapshot_id);
      expect(await journalLines(copy)).toHaveLength(1);
      expect(rewritten.tasks.map((t) => t.title)).toEqual(['t0', 't1', 't2', 't3', 't4']);
      const added = await reopened.createTask(newTask('after'));
      const again = await openRepo({ stateFile: await copyOf(copy) });
      expect(again.startup).toMatchObject({ replayedRecords: 1, warnings: [] });
      expect(await again.getTask(added.id)).toEqual(added);
    });
  });

  describe('damaged state is refused, naming the file and the place, and nothing is written', () => {
    async function refusal(stateFileOf: string): Promise<string> {
      const before = [
        await readFile(stateFileOf).catch(() => null),
        await readFile(`${stateFileOf}.journal`).catch(() => null),
      ];
      const error = await FileStateRepository.open({ stateFile: stateFileOf }).then(
        () => null,
        (e: unknown) => e as DomainError,
      );
      expect(error).toBeInstanceOf(DomainError);
      expect(error!.code).toBe('state_damaged');
      expect(error!.message).toContain('orchestrator state repair --accept-loss');
      const after = [
        await readFile(stateFileOf).catch(() => null),
        await readFile(`${stateFileOf}.journal`).catch(() => null),
      ];
      expect(after).toEqual(before);
      await expect(readFile(join(dirname(stateFileOf), LOCK_FILE_NAME))).rejects.toMatchObject({
        code: 'ENOENT',
      });
      return error!.message;
    }

    async function withTasks(n: number): Promise<string> {
      const repo = await openRepo();
      for (let i = 0; i < n; i++) await repo.createTask(newTask(`t${i}`));
      return crashCopy();
    }

    it('a damaged record in the middle of the journal', async () => {
      const copy = await withTasks(4);
      const lines = (await readFile(`${copy}.journal`, 'utf8')).split('\n');
      lines[2] = lines[2]!.replace('"t1"', '"tX"'); // still JSON, but the checksum no longer matches
      await writeFile(`${copy}.journal`, lines.join('\n'));
      expect(await refusal(copy)).toMatch(
        new RegExp(`${copy}\\.journal line 3 \\(byte \\d+\\): a journal record fails its checksum`),
      );
    });

    it('a deleted record in the middle of the journal (sequence gap)', async () => {
      const copy = await withTasks(4);
      const lines = (await readFile(`${copy}.journal`, 'utf8')).trimEnd().split('\n');
      await writeFile(`${copy}.journal`, `${[...lines.slice(0, 2), ...lines.slice(3)].join('\n')}\n`);
      expect(await refusal(copy)).toContain(`${copy}.journal line 3: changes 2..2 are missing before it`);
    });

    it('a repeated record', async () => {
      const copy = await withTasks(4);
      const l = (await readFile(`${copy}.journal`, 'utf8')).trimEnd().split('\n');
      await writeFile(`${copy}.journal`, `${[...l.slice(0, 3), l[2]!, ...l.slice(3)].join('\n')}\n`);
      expect(await refusal(copy)).toContain(`${copy}.journal line 4: change 2 comes after change 2`);
    });

    it('a deleted snapshot beside its journal', async () => {
      const copy = await withTasks(2);
      await rm(copy);
      expect(await refusal(copy)).toContain(
        `${copy} the whole file: the state file is missing but its journal`,
      );
    });

    it('a journal from another state directory', async () => {
      const other = await withTasks(1);
      const repo = await FileStateRepository.open({ stateFile: join(dir, 'second', 'state.json') });
      await repo.createTask(newTask('elsewhere'));
      await repo.close();
      await copyFile(`${other}.journal`, join(dir, 'second', 'state.json.journal'));
      expect(await refusal(join(dir, 'second', 'state.json'))).toMatch(
        /line 1: the journal belongs to another state directory/,
      );
    });

    it('a journal that belongs to another snapshot (state file restored by hand)', async () => {
      const repo = await openRepo();
      await repo.createTask(newTask('old'));
      await backupState(stateFile, join(dir, 'backup.json'));
      await repo.createTask(newTask('newer'));
      const copy = await crashCopy();
      await copyFile(join(dir, 'backup.json'), copy); // like `tar -x` of an old state.json
      expect(await refusal(copy)).toMatch(/journal line 1: the journal continues snapshot/);
    });

    it('a one-byte change in the snapshot', async () => {
      const repo = await openRepo();
      await repo.createTask(newTask('abc'));
      await repo.close();
      const bytes = await readFile(stateFile);
      const at = bytes.indexOf('"abc"') + 1;
      bytes[at] = 'x'.charCodeAt(0);
      await writeFile(stateFile, bytes);
      expect(await refusal(stateFile)).toContain(`${stateFile} line 2: the line fails its checksum`);
    });

    it('an unreadable snapshot', async () => {
      await writeFile(stateFile, '{"format":"workflow-orchestrator/state-snapshot", broken');
      expect(await refusal(stateFile)).toContain('the checksum trailer is missing or damaged');
    });

    it('a snapshot of the earlier format, without checksums', async () => {
      await writeFile(
        stateFile,
        '{"format":"workflow-orchestrator/state-snapshot","version":1,"snapshot_id":"s","previous_snapshot_id":null,"last_seq":0,"written_at":"","revocations":[],"idempotency":[],"tasks":[\n]}\n',
      );
      expect(await refusal(stateFile)).toContain(
        'written by an earlier version (snapshot format 1, without checksums)',
      );
    });
  });

  describe('group commit', () => {
    it('writes concurrent mutations with far fewer fdatasyncs than changes', async () => {
      const fs = new FaultyFs();
      const repo = await openRepo({ fs });
      fs.datasyncs = 0;
      const created = await Promise.all(Array.from({ length: 100 }, () => repo.createTask(newTask())));
      expect(created).toHaveLength(100);
      expect(fs.datasyncs).toBeGreaterThanOrEqual(1);
      expect(fs.datasyncs).toBeLessThanOrEqual(3);
      const claims = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          repo.claimNextEligible({ agentId: `a${i}`, capabilities: [], leaseMs: LEASE, now: clock.now() }),
        ),
      );
      expect(new Set(claims.map((t) => t!.id)).size).toBe(100);
      expect(fs.datasyncs).toBeLessThanOrEqual(6);
      const reopened = await openRepo({ stateFile: await crashCopy() });
      expect((await reopened.countByStatus()).claimed).toBe(100);
    });

    it('syncs each sequential change before acknowledging it', async () => {
      const fs = new FaultyFs();
      const repo = await openRepo({ fs });
      fs.datasyncs = 0;
      for (let i = 0; i < 5; i++) {
        await repo.createTask(newTask());
        expect(fs.datasyncs).toBe(i + 1);
      }
    });
  });

  describe('write failures', () => {
    it('rejects with state_write_failed, applies nothing, and recovers once the disk is writable', async () => {
      const fs = new FaultyFs();
      const repo = await openRepo({ fs });
      const first = await repo.createTask(newTask('kept'));
      const before = await repo.getTask(first.id);

      fs.failWith = 'ENOSPC';
      const claim = repo.claimNextEligible({
        agentId: 'a1',
        capabilities: [],
        leaseMs: LEASE,
        now: clock.now(),
      });
      const create = repo.createTask(newTask('lost'));
      expect(await rejectionCodeOf(claim)).toBe('state_write_failed');
      await expect(create).rejects.toThrow(/ENOSPC.*not applied/);
      expect(await repo.getTask(first.id)).toBe(before);
      expect(await repo.countByStatus()).toMatchObject({ queued: 1, claimed: 0 });
      expect((await repo.listTasks({})).total).toBe(1);
      expect(await repo.health()).toMatchObject({
        status: 'down',
        details: { last_error: expect.stringContaining('ENOSPC') },
      });
      // Still failing: the rebuild of the journal fails too.
      expect(await rejectionCodeOf(repo.addRevocation('j', T0))).toBe('state_write_failed');
      expect(await repo.isRevoked('j')).toBe(false);

      fs.failWith = null;
      const claimed = await repo.claimNextEligible({
        agentId: 'a1',
        capabilities: [],
        leaseMs: LEASE,
        now: clock.now(),
      });
      expect(claimed).toMatchObject({ id: first.id, attempts: 1, token_version: 1 });
      expect((await repo.health()).status).toBe('up');
      const reopened = await openRepo({ stateFile: await crashCopy() });
      expect(reopened.startup.warnings).toEqual([]);
      expect((await reopened.listTasks({})).tasks.map((t) => [t.title, t.status])).toEqual([
        ['kept', 'claimed'],
      ]);
    });

    it('a checkpoint taken while a change waits does not contain it when that change then fails', async () => {
      const fs = new FaultyFs();
      const repo = await openRepo({ fs });
      await repo.createTask(newTask('kept'));
      const doomed = repo.createTask(newTask('doomed')); // queued for the next batch
      const checkpoint = repo.checkpoint(); // runs before that batch
      fs.failAppendsWith = 'EIO';
      await checkpoint;
      expect(await rejectionCodeOf(doomed)).toBe('state_write_failed');
      fs.failAppendsWith = null;
      const reopened = await openRepo({ stateFile: await crashCopy() });
      expect((await reopened.listTasks({})).tasks.map((t) => t.title)).toEqual(['kept']);
      expect((await repo.listTasks({})).tasks.map((t) => t.title)).toEqual(['kept']);
    });

    it('fails to open with state_write_failed when the directory cannot be created', async () => {
      await writeFile(join(dir, 'a-file'), '');
      const error = await FileStateRepository.open({ stateFile: join(dir, 'a-file', 'state.json') }).catch(
        (e) => e,
      );
      expect(error).toMatchObject({ kind: 'unavailable', code: 'state_write_failed' });
      expect((error as Error).message).toContain('a-file');
    });
  });

  describe('directory lock', () => {
    it('refuses a second instance, naming the owner pid and the lock file', async () => {
      await openRepo();
      const error = await FileStateRepository.open({ stateFile }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StateLockedError);
      expect(error).toMatchObject({ code: 'state_locked', owner: { pid: process.pid } });
      expect((error as Error).message).toContain(`pid ${process.pid}`);
      expect((error as Error).message).toContain(join(dir, LOCK_FILE_NAME));
    });

    it('releases the lock on close', async () => {
      const repo = await openRepo();
      await repo.close();
      const again = await openRepo();
      expect(again.startup.lockTakenOverFrom).toBeNull();
    });

    it('takes over the lock of a dead process and reports it', async () => {
      const deadPid = await pidOfExitedProcess();
      await writeLock({ pid: deadPid });
      const repo = await openRepo();
      expect(repo.startup.lockTakenOverFrom).toBe(deadPid);
      expect(repo.startup.warnings).toEqual([
        expect.objectContaining({
          code: 'stale_lock_taken_over',
          message: expect.stringContaining(`pid ${deadPid}`),
        }),
      ]);
      const owner = JSON.parse(await readFile(join(dir, LOCK_FILE_NAME), 'utf8'));
      expect(owner.pid).toBe(process.pid);
    });

    it('takes over a lock whose pid now belongs to another process (pid reuse)', async () => {
      await writeLock({ pid: process.pid, process_start: '1' });
      expect((await openRepo()).startup.lockTakenOverFrom).toBe(process.pid);
    });

    it('respects a fresh lock from another host, takes over an abandoned one', async () => {
      await writeLock({ pid: 1, hostname: 'other-host' });
      const error = await FileStateRepository.open({ stateFile }).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/pid 1 on host other-host/);
      const old = new Date(Date.now() - 120_000);
      await utimes(join(dir, LOCK_FILE_NAME), old, old);
      expect((await openRepo()).startup.lockTakenOverFrom).toBe(1);
    });
  });

  describe('backup and restore', () => {
    it('round-trips: backup while running, change more, restore the backup', async () => {
      const repo = await openRepo();
      const moved = await fillAndWork(repo);
      const backupFile = join(dir, 'backups', 'state-backup.json');
      await mkdir(join(dir, 'backups'));
      const report = await backupState(stateFile, backupFile);
      expect(report).toMatchObject({ tasks: 5, journalRecords: 9, warnings: [] });
      await repo.createTask(newTask('after backup'));
      await repo.close();

      const restored = await restoreState(stateFile, backupFile);
      expect(restored).toMatchObject({ tasks: 5, previous: { stateFile: `${stateFile}.pre-restore` } });
      const reopened = await openRepo();
      expect(reopened.startup.warnings).toEqual([]);
      expect(reopened.startup.tasks).toBe(5);
      expect(await reopened.getTask(moved.id)).toEqual(moved);
      expect(await reopened.isRevoked('jti-1')).toBe(true);
      const kept = JSON.parse(await readFile(`${stateFile}.pre-restore`, 'utf8'));
      expect(kept.tasks).toHaveLength(6);
      const digest = `sha256:${createHash('sha256')
        .update(await readFile(backupFile))
        .digest('hex')}`;
      expect((await reopened.pendingAudit()).map((o) => o.entry)).toContainEqual(
        expect.objectContaining({
          action: 'state.restore',
          actor: 'unknown',
          details: expect.objectContaining({ backup: backupFile, digest, tasks: 5 }) as unknown,
        }),
      );
    });

    it('refuses a postgres backup by name, changing nothing', async () => {
      const pgBackup = join(dir, 'pg-backup.json');
      await writeFile(
        pgBackup,
        '{"format":"orchestrator-postgres-state-backup","version":1,"backend":"postgres"}\n',
      );
      const error = await restoreState(stateFile, pgBackup).catch((e: unknown) => e);
      expect((error as DomainError).code).toBe('state_damaged');
      expect((error as Error).message).toBe(
        `${pgBackup} is a postgres state backup (state.backend: postgres); the file store restores only ` +
          'backups written by `state backup` on state.backend: file. Nothing was changed',
      );
      expect(await readdir(dir)).not.toContain('state.json');
    });

    it('refuses to restore while a live process holds the lock', async () => {
      const repo = await openRepo();
      await repo.createTask(newTask());
      const backupFile = join(dir, 'b.json');
      await backupState(stateFile, backupFile);
      const error = await restoreState(stateFile, backupFile).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StateLockedError);
      expect((error as Error).message).toContain(`pid ${process.pid}`);
    });

    it('refuses to restore something that is not a state file', async () => {
      const bogus = join(dir, 'bogus.json');
      await writeFile(bogus, '{"hello":1}');
      expect(await rejectionCodeOf(restoreState(stateFile, bogus))).toBe('state_damaged');
      expect(await readdir(dir)).not.toContain('state.json');
    });

    it('says how to migrate a backup from an earlier version, not to restore a backup', async () => {
      const old = join(dir, 'old-backup.json');
      await writeFile(old, '{"format":"workflow-orchestrator/state-snapshot","version":1,"tasks":[]}\n');
      const message = await restoreState(stateFile, old).then(
        () => 'restored',
        (error: Error) => error.message,
      );
      expect(message).toContain('The backup cannot be restored');
      expect(message).toContain('earlier version');
      expect(message).toContain('state repair --accept-loss');
      expect(message).not.toContain('Restore a backup (`orchestrator state restore FILE`)');
      expect(await readdir(dir)).not.toContain('state.json');
    });
  });

  async function writeLock(fields: Record<string, unknown>): Promise<void> {
    const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim() || null;
    const owner = {
      pid: 0,
      hostname: hostname(),
      boot_id: bootId,
      process_start: null,
      acquired_at: '2026-01-01T00:00:00.000Z',
      purpose: 'server',
      token: 'other',
      ...fields,
    };
    await writeFile(join(dir, LOCK_FILE_NAME), JSON.stringify(owner));
  }

  async function copyOf(file: string): Promise<string> {
    const copyDir = await mkdtemp(join(dir, 'copy-'));
    await copyFile(file, join(copyDir, 'state.json'));
    await copyFile(`${file}.journal`, join(copyDir, 'state.json.journal'));
    return join(copyDir, 'state.json');
  }
});

/** A pid that certainly belonged to a process that has exited (and was reaped). */
function pidOfExitedProcess(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid!));
  });
}
