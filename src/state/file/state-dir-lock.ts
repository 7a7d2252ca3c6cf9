import { randomUUID } from 'node:crypto';
import { pidExists } from '../../common/domain/pid-exists.js';
import { constants } from 'node:fs';
import { open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { UnavailableError } from '../../common/domain/domain-error.js';
import { stateWriteFailed } from '../state-errors.js';

export const LOCK_FILE_NAME = 'orchestrator.lock';

/** Who holds a state directory, as written in its lock file. */
export interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  /** Linux boot id: the same pid after a reboot is another process. */
  readonly boot_id: string | null;
  /** Start time of the pid (clock ticks since boot): a reused pid has another one. */
  readonly process_start: string | null;
  readonly acquired_at: string;
  readonly purpose: string;
  readonly token: string;
}

/**
 * A live process owns the state (or audit) directory. Code `state_locked`, which start-up turns
 * into exit 2; names the owner's pid.
 */
export class StateLockedError extends UnavailableError {
  constructor(
    readonly lockPath: string,
    readonly owner: LockOwner,
    kind: LockedDirectoryKind = 'state',
  ) {
    const where = owner.hostname === hostname() ? '' : ` on host ${owner.hostname}`;
    const Kind = kind === 'audit' ? 'Audit' : 'State';
    super(
      'state_locked',
      `${Kind} directory is locked by pid ${owner.pid}${where} (${owner.purpose} since ${owner.acquired_at}); ` +
        `lock file ${lockPath}. Stop that process first; only one process may own a ${kind} directory.`,
    );
  }
}

export type LockedDirectoryKind = 'state' | 'audit';

export interface LockOptions {
  /** What the lock is for, shown to whoever is refused (`server`, `restore`). */
  readonly purpose?: string;
  /** A lock from another host counts as abandoned when not refreshed for this long. */
  readonly foreignStaleMs?: number;
  /** Which directory this is, for the refusal message (default `state`). */
  readonly kind?: LockedDirectoryKind;
}

const REFRESH_MS = 10_000;
/** Guard retries: about 6 s in all, longer than any guard is held unless its holder died. */
const GUARD_ATTEMPTS = 30;

/**
 * Exclusive ownership of a state directory through `<dir>/orchestrator.lock`, a small JSON
 * file naming the owner. A second process is refused with `StateLockedError` naming the owner
 * pid. A lock left by a dead process (same host: pid gone, or pid reused by another program,
 * or written before the last reboot) is taken over; a lock from another host (a shared
 * volume) is taken over only when its owner stopped refreshing it for `foreignStaleMs`.
 *
 * The check-then-write is serialised by a short-lived proper-lockfile guard, so two processes
 * taking over the same stale lock cannot both win.
 */
export class StateDirLock {
  private refresher: NodeJS.Timeout | null = null;

  private constructor(
    readonly path: string,
    private readonly owner: LockOwner,
    /** The dead owner whose lock was taken over, if any. */
    readonly takenOverFrom: LockOwner | null,
  ) {}

  static async acquire(dir: string, options: LockOptions = {}): Promise<StateDirLock> {
    const path = join(dir, LOCK_FILE_NAME);
    try {
      return await StateDirLock.tryAcquire(dir, path, options);
    } catch (error) {
      if (error instanceof StateLockedError) throw error;
      throw stateWriteFailed(`the lock file ${path}`, error);
    }
  }

  private static async tryAcquire(dir: string, path: string, options: LockOptions): Promise<StateDirLock> {
    const releaseGuard = await lockGuard(dir, `${path}.guard`);
    try {
      const previous = await readLockOwner(dir);
      if (previous && (await isOwnerAlive(previous, path, options.foreignStaleMs ?? 60_000))) {
        throw new StateLockedError(path, previous, options.kind);
      }
      const owner: LockOwner = {
        pid: process.pid,
        hostname: hostname(),
        boot_id: await bootId(),
        process_start: await processStart(process.pid),
        acquired_at: new Date().toISOString(),
        purpose: options.purpose ?? 'server',
        token: randomUUID(),
      };
      const temp = `${path}.tmp-${process.pid}`;
      const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
      try {
        await handle.writeFile(`${JSON.stringify(owner)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
      const lock = new StateDirLock(path, owner, previous);
      lock.startRefreshing();
      return lock;
    } finally {
      await releaseGuard().catch(() => undefined);
    }
  }

  /** Removes the lock file if it is still ours. */
  async release(): Promise<void> {
    if (this.refresher) clearInterval(this.refresher);
    this.refresher = null;
    const current = await readOwnerFile(this.path);
    if (current?.token === this.owner.token) await unlink(this.path).catch(() => undefined);
  }

  /** Keeps the mtime fresh so other hosts sharing the volume can tell it is alive. */
  private startRefreshing(): void {
    this.refresher = setInterval(() => {
      const now = new Date();
      utimes(this.path, now, now).catch(() => undefined);
    }, REFRESH_MS);
    this.refresher.unref();
  }
}

/**
 * Takes the short-lived guard serialising lock checks. Retries only while another process
 * holds the guard (proper-lockfile's own retry would also retry EACCES and the like).
 */
async function lockGuard(dir: string, guardPath: string): Promise<() => Promise<void>> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await lockfile.lock(dir, {
        lockfilePath: guardPath,
        realpath: false,
        stale: 5000,
        onCompromised: () => undefined,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED' || attempt >= GUARD_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(10 * 2 ** attempt, 250)));
    }
  }
}

/** The owner recorded in `<dir>/orchestrator.lock`, or null when there is none. */
export function readLockOwner(dir: string): Promise<LockOwner | null> {
  return readOwnerFile(join(dir, LOCK_FILE_NAME));
}

async function readOwnerFile(path: string): Promise<LockOwner | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    return Number.isSafeInteger(owner.pid) ? owner : null;
  } catch {
    return null; // an unreadable lock file (cut short by a crash) protects nothing
  }
}

/** Whether the process that wrote `owner` still runs (or, on another host, still refreshes). */
export async function isOwnerAlive(owner: LockOwner, path: string, foreignStaleMs: number): Promise<boolean> {
  const sameHost = owner.hostname === hostname() && (owner.boot_id ?? null) === (await bootId());
  if (!sameHost) {
    const stats = await stat(path).catch(() => null);
    return stats !== null && Date.now() - stats.mtimeMs < foreignStaleMs;
  }
  if (!pidExists(owner.pid)) return false;
  const start = await processStart(owner.pid);
  return owner.process_start === null || start === null || start === owner.process_start;
}

async function bootId(): Promise<string | null> {
  return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => null))?.trim() ?? null;
}

/** Field 22 of /proc/<pid>/stat (start time after boot), or null off Linux. */
async function processStart(pid: number): Promise<string | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}
