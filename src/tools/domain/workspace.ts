import { constants, type Dirent, fstatSync, readlinkSync } from 'node:fs';
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
   * lexical path is opened directly, once: O_NOFOLLOW refuses a symlink as the last component
   * (that case, a symlink to follow inside the workspace, takes the resolving path below), and
   * the descriptor's own path (`/proc/self/fd/N`) then says where it really landed, whatever
   * the directories above did — the same check the resolving path ends with, without the
   * realpath before it. One descriptor, checked once, read from.
   */
  async openFile(value: string, key: string): Promise<OpenedFile> {
    const label = `${key} '${value}'`;
    const rel = this.relative(value, key);
    if (this.procFd) {
      let handle: ReadDescriptor | null = null;
      try {
        handle = await ReadDescriptor.open(this.absolute(rel), READ_FLAGS);
      } catch (error) {
        // ELOOP: the last component is a symlink; resolve it, then open what it names.
        if ((error as NodeJS.ErrnoException).code !== 'ELOOP') throw fsFailure(error, label);
      }
      if (handle) return this.checked(handle, this.absolute(rel), label);
    }
    const real = await this.resolveReal(rel, value, key);
    return this.openReal(real, label);
  }

  /**
   * Opens a real path found by resolution or a walk, then checks the descriptor: O_NOFOLLOW
   * refuses a last component swapped for a symlink, the descriptor's own path catches a
   * swapped directory above it, and O_NONBLOCK keeps a FIFO from hanging the call. A file
   * with several names (a hard link) is refused: one of them may be outside the workspace.
   */
  async openReal(real: string, label: string): Promise<OpenedFile> {
    let handle: ReadDescriptor;
    try {
      handle = await ReadDescriptor.open(real, READ_FLAGS);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
        throw outsideWorkspace(`${label} changed into a symlink while it was opened`);
      }
      throw fsFailure(error, label);
    }
    return this.checked(handle, real, label);
  }

  /**
   * The checks on an opened file, all on its descriptor: where it really is (inside), what it
   * is (a regular file) and how many names it has (one). Both questions go to the kernel about
   * the open descriptor itself — `readlink` of `/proc/self/fd/N` and `fstat` — which touch no
   * disk, so they are asked synchronously instead of as two more thread-pool round trips.
   * `expected` is the path it was opened by (the non-Linux check needs it).
   */
  private async checked(handle: ReadDescriptor, expected: string, label: string): Promise<OpenedFile> {
    try {
      const where = await this.whereIs(handle, expected);
      if (!this.contains(where)) throw outsideWorkspace(`${label} resolves outside the workspace`);
      const stat = fstatSync(handle.fd);
      if (stat.isDirectory()) throw toolFailed(`${label} is a directory, not a file`);
      if (!stat.isFile()) throw toolFailed(`${label} is not a regular file`);
      if (stat.nlink > 1) throw hardLinkRefused(label, stat.nlink);
      return { handle, rel: this.toRelative(where), size: stat.size };
    } catch (error) {
      await handle.close();
      throw fsFailure(error, label);
    }
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
