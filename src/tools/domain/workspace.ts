import { constants, type Dirent, fstatSync, readlinkSync, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { posix, resolve } from 'node:path';
import { toWorkspacePath } from '../../workflow/domain/path-policy.js';
import { fsFailure } from './fs-failure.js';
import { type FileReader, ReadDescriptor } from './read-descriptor.js';
import { hardLinkRefused, outsideWorkspace, toolFailed } from './tool-errors.js';

/** A file opened for reading, checked to be a regular file inside the workspace. */
export interface OpenedFile {
  readonly handle: ReadDescriptor;
  /** Workspace-relative posix path of what was actually opened. */
  readonly rel: string;
  readonly size: number;
}

/** An open directory inside the workspace; names are created and renamed relative to it. */
export interface OpenedDirectory {
  readonly handle: FileHandle;
  /** Real path when it was opened (for messages and the non-Linux fallback). */
  readonly real: string;
}

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY;
/**
 * Linux's O_PATH (not in `fs.constants`; 010000000 on x86-64 and arm64): a descriptor that
 * locates a file without opening it, so no device or FIFO driver sees an open. With O_NOFOLLOW
 * a symlink is located itself rather than refused.
 */
const O_PATH = 0o10000000;
const LOCATE_FLAGS = O_PATH | constants.O_NOFOLLOW;

/**
 * The confinement boundary of every file tool. Paths are first normalised with the workflow
 * engine's `toWorkspacePath` (so the policy and the executor agree on what a path means),
 * then resolved with realpath, then checked AGAIN on the opened descriptor: on Linux
 * `/proc/self/fd/N` names what was really opened, and directories are walked by descriptor,
 * so swapping a directory for a symlink between the check and the use cannot lead outside.
 */
export class Workspace {
  private constructor(
    /** Real path of the root: no symlinks, no trailing slash. */
    readonly root: string,
    /** The root as configured, when it differs (absolute arguments may use either form). */
    private readonly configuredRoot: string,
    /** Whether `/proc/self/fd` names open descriptors (Linux). */
    private readonly procFd: boolean,
  ) {}

  /** Opens (creating if missing) the workspace at `root`, relative to the process cwd. */
  static async open(root: string): Promise<Workspace> {
    const configured = resolve(root);
    await mkdir(configured, { recursive: true });
    const real = await realpath(configured);
    const handle = await open(real, DIR_FLAGS);
    try {
      const named = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
      return new Workspace(real, configured, named === real);
    } finally {
      await handle.close();
    }
  }

  /** Is `real` (a path without symlinks) the root or below it? Null (unknown) is not. */
  contains(real: string | null): real is string {
    if (real === null) return false;
    return real === this.root || real.startsWith(this.root === '/' ? '/' : `${this.root}/`);
  }

  /** The workspace-relative posix form of a real path inside the root. */
  toRelative(real: string): string {
    return real === this.root ? '.' : posix.relative(this.root, real);
  }

  /** Absolute path of a workspace-relative one (no I/O). */
  absolute(rel: string): string {
    return rel === '.' ? this.root : posix.join(this.root, rel);
  }

  /**
   * `value` of argument `key` as a workspace-relative path, lexically: `..` escapes, absolute
   * paths elsewhere and `~` are refused before any file system access.
   */
  relative(value: string, key: string): string {
    const r = toWorkspacePath(value, this.root);
    if (r.ok) return r.path;
    if (this.configuredRoot !== this.root) {
      const alt = toWorkspacePath(value, this.configuredRoot);
      if (alt.ok) return alt.path;
    }
    throw outsideWorkspace(`${key}: ${r.reason}`);
  }

  /** The real path of an existing `value`, refused if it resolves outside the root. */
  async resolveExisting(value: string, key: string): Promise<{ rel: string; real: string }> {
    const real = await this.resolveReal(this.relative(value, key), value, key);
    return { rel: this.toRelative(real), real };
  }

  /** The real path of the workspace-relative `rel` (argument `key` = `value`), refused outside. */
  private async resolveReal(rel: string, value: string, key: string): Promise<string> {
    let real: string;
    try {
      real = await realpath(this.absolute(rel));
    } catch (error) {
      throw fsFailure(error, `${key} '${value}'`);
    }
    if (!this.contains(real)) throw outsideWorkspace(`${key} '${value}' resolves outside the workspace`);
    return real;
  }

  /** Like `resolveExisting`, for an argument that must name a directory. */
  async resolveDirectory(value: string, key: string): Promise<{ rel: string; real: string }> {
    const resolved = await this.resolveExisting(value, key);
    if (!(await this.isDirectory(resolved.real))) throw toolFailed(`${key} '${value}' is not a directory`);
    return resolved;
  }

  /** Whether a real path (from resolution) names a directory; false if it vanished. */
  async isDirectory(real: string): Promise<boolean> {
    return (await lstat(real).catch(() => null))?.isDirectory() ?? false;
  }

  /**
   * Opens `value` for reading: an existing regular file inside the workspace. On Linux the
   * lexical path is looked up once, as an O_PATH descriptor (nothing is opened for reading yet,
   * so a device or FIFO — inside or, through a symlinked directory, outside — is never opened),
   * and that descriptor is checked: where it really is (`/proc/self/fd/N`, whatever the
   * directories above did), what it is and how many names it has; only then is the same inode
   * opened for reading through it. A symlink as the last component (one to follow inside the
   * workspace) takes the resolving path: realpath, then the same checked open of the real path.
   */
  async openFile(value: string, key: string): Promise<OpenedFile> {
    const label = `${key} '${value}'`;
    const rel = this.relative(value, key);
    if (this.procFd) {
      const opened = await this.openChecked(this.absolute(rel), label);
      if (opened !== 'symlink') return opened;
    }
    return this.openReal(await this.resolveReal(rel, value, key), label);
  }

  /**
   * Opens a real path found by resolution or a walk, checked on its descriptor: a last component
   * swapped for a symlink is refused, the descriptor's own path catches a swapped directory above
   * it, and O_NONBLOCK keeps a FIFO from hanging the call. A file with several names (a hard
   * link) is refused: one of them may be outside the workspace.
   */
  async openReal(real: string, label: string): Promise<OpenedFile> {
    const swapped = () => outsideWorkspace(`${label} changed into a symlink while it was opened`);
    if (this.procFd) {
      const opened = await this.openChecked(real, label);
      if (opened === 'symlink') throw swapped();
      return opened;
    }
    let handle: ReadDescriptor;
    try {
      handle = await ReadDescriptor.open(real, READ_FLAGS);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw swapped();
      throw fsFailure(error, label);
    }
    try {
      const where = await this.whereIs(handle, real);
      return this.admitted(where, fstatSync(handle.fd), label, handle);
    } catch (error) {
      await handle.close();
      throw fsFailure(error, label);
    }
  }

  /**
   * Linux: `path` looked up as an O_PATH | O_NOFOLLOW descriptor (one thread-pool round trip),
   * checked — `readlink` of `/proc/self/fd/N` and `fstat`, asked synchronously since both only
   * ask the kernel about a descriptor it holds and touch no disk — and, if admitted, the same
   * inode opened for reading through `/proc/self/fd/N`, also synchronously: no path is resolved
   * again and no data is read (only the read itself goes to the pool). `'symlink'` when the last
   * component is one.
   */
  private async openChecked(path: string, label: string): Promise<OpenedFile | 'symlink'> {
    let located: ReadDescriptor;
    try {
      located = await ReadDescriptor.open(path, LOCATE_FLAGS);
    } catch (error) {
      throw fsFailure(error, label);
    }
    let handle: ReadDescriptor | null = null;
    try {
      const named = `/proc/self/fd/${located.fd}`;
      const stat = fstatSync(located.fd);
      if (stat.isSymbolicLink()) return 'symlink';
      const where = readlinkSync(named);
      this.admitted(where, stat, label, null);
      handle = ReadDescriptor.openLocated(named, READ_FLAGS & ~constants.O_NOFOLLOW);
      const reopened = fstatSync(handle.fd);
      if (reopened.ino !== stat.ino || reopened.dev !== stat.dev) {
        throw outsideWorkspace(`${label} changed while it was opened`);
      }
      return this.admitted(where, reopened, label, handle);
    } catch (error) {
      await handle?.close();
      throw fsFailure(error, label);
    } finally {
      await located.close();
    }
  }

  /**
   * The checks on what a descriptor names: inside the workspace, a regular file, one name.
   * Returns the opened file (when `handle` is given) or throws.
   */
  private admitted(where: string | null, stat: Stats, label: string, handle: ReadDescriptor): OpenedFile;
  private admitted(where: string | null, stat: Stats, label: string, handle: null): null;
  private admitted(
    where: string | null,
    stat: Stats,
    label: string,
    handle: ReadDescriptor | null,
  ): OpenedFile | null {
    if (!this.contains(where)) throw outsideWorkspace(`${label} resolves outside the workspace`);
    if (stat.isDirectory()) throw toolFailed(`${label} is a directory, not a file`);
    if (!stat.isFile()) throw toolFailed(`${label} is not a regular file`);
    if (stat.nlink > 1) throw hardLinkRefused(label, stat.nlink);
    return handle && { handle, rel: this.toRelative(where), size: stat.size };
  }

  /**
   * Lists a directory found by resolution or a walk, by descriptor: a directory swapped for a
   * symlink after it was found is refused (O_NOFOLLOW) or caught by the descriptor check.
   */
  async list(real: string, label: string): Promise<Dirent[]> {
    let handle: FileHandle;
    try {
      handle = await open(real, DIR_FLAGS | constants.O_NOFOLLOW);
    } catch (error) {
      // With O_DIRECTORY, Linux reports a symlink as ENOTDIR rather than ELOOP.
      if ((await lstat(real).catch(() => null))?.isSymbolicLink()) {
        throw outsideWorkspace(`${label} changed into a symlink while it was listed`);
      }
      throw fsFailure(error, label);
    }
    try {
      const where = await this.whereIs(handle, real);
      if (!this.contains(where)) throw outsideWorkspace(`${label} resolves outside the workspace`);
      return await readdir(this.procFd ? `/proc/self/fd/${handle.fd}` : where, { withFileTypes: true });
    } catch (error) {
      throw fsFailure(error, label);
    } finally {
      await handle.close();
    }
  }

  /**
   * Opens directory `dirRel` for writing into, creating missing components one at a time,
   * each relative to its verified parent's descriptor; a component that is (or becomes) a
   * symlink is followed only if it stays inside. Never creates anything outside the root.
   */
  async openDirectoryForWrite(dirRel: string, key: string, value: string): Promise<OpenedDirectory> {
    const label = `${key} '${value}'`;
    let current: OpenedDirectory = { handle: await open(this.root, DIR_FLAGS), real: this.root };
    try {
      for (const name of dirRel === '.' ? [] : dirRel.split('/')) {
        const entry = this.entry(current, name);
        try {
          await mkdir(entry);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fsFailure(error, label);
        }
        let handle: FileHandle;
        try {
          handle = await open(entry, DIR_FLAGS);
        } catch (error) {
          await this.refuseDanglingEscape(entry, current.real, key, value);
          throw fsFailure(error, label);
        }
        const real = await this.whereIs(handle, posix.join(current.real, name)).catch(async (error) => {
          await handle.close();
          throw fsFailure(error, label);
        });
        if (!this.contains(real)) {
          await handle.close();
          throw outsideWorkspace(`${label} resolves outside the workspace`);
        }
        await current.handle.close();
        current = { handle, real };
      }
      return current;
    } catch (error) {
      await current.handle.close().catch(() => undefined);
      throw error;
    }
  }

  /** The path of `name` inside an open directory, bound to the descriptor where possible. */
  entry(dir: OpenedDirectory, name: string): string {
    return this.procFd ? `/proc/self/fd/${dir.handle.fd}/${name}` : posix.join(dir.real, name);
  }

  /**
   * A symlink that points nowhere cannot be opened; if where it points is outside, that is a
   * denial (writing there would escape), not merely a missing file.
   */
  async refuseDanglingEscape(entry: string, dirReal: string, key: string, value: string): Promise<void> {
    const stat = await lstat(entry).catch(() => null);
    if (!stat?.isSymbolicLink()) return;
    const target = posix.resolve(dirReal, await readlink(entry));
    if (!this.contains(target))
      throw outsideWorkspace(`${key} '${value}' is a symlink to outside the workspace`);
  }

  /**
   * The real path of what `handle` refers to; `expected` is the path it was opened by.
   * Null when that cannot be established (the object changed between resolution and open).
   */
  private async whereIs(handle: { readonly fd: number }, expected: string): Promise<string | null> {
    // The kernel's name for the open descriptor: no disk is touched, so no thread-pool trip.
    if (this.procFd) return readlinkSync(`/proc/self/fd/${handle.fd}`);
    // Elsewhere: the opened object must be the one the path names now (same device and inode).
    const opened = fstatSync(handle.fd);
    const named = await realpath(expected);
    const now = await lstat(named);
    return now.ino === opened.ino && now.dev === opened.dev ? named : null;
  }
}

/** At most `max` bytes from the start of an open file: a file growing while read cannot blow the cap. */
export async function readPrefix(handle: FileReader, max: number): Promise<Buffer> {
  const buffer = Buffer.alloc(max);
  let filled = 0;
  while (filled < max) {
    const { bytesRead } = await handle.read(buffer, filled, max - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}
