import { constants } from 'node:fs';
import { link, lstat, open, realpath, rename, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DomainError } from '../../common/domain/domain-error.js';
import { fsFailure } from './fs-failure.js';
import { hardLinkRefused, outsideWorkspace, toolFailed } from './tool-errors.js';
import { type TouchedPaths } from './touched-paths.js';
import { type OpenedDirectory, readPrefix, type Workspace } from './workspace.js';

/** A file written to a temporary name beside its target, waiting to be renamed over it. */
export interface StagedWrite {
  /** Workspace-relative path of the file that will be replaced (a symlink's target). */
  readonly rel: string;
  readonly bytes: number;
  readonly created: boolean;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * `overwrite` creates or replaces; `append` adds to the end of an existing file (or creates it);
 * `create` refuses a file that exists. Each is still all-or-nothing.
 */
export type WriteMode = 'overwrite' | 'append' | 'create';

export interface FileToWrite {
  /** The argument as the caller gave it, and its name (`files[1].path`), for messages. */
  readonly value: string;
  readonly key: string;
  readonly content: string;
  /** Default `overwrite`. */
  readonly mode?: WriteMode;
  /** `append`: the largest the file may become (the existing part is read into memory). */
  readonly maxBytes?: number;
}

const TEMP_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

/**
 * Writes every file or none: all contents go to temporary files first (written and
 * fdatasync'ed), and only then are they renamed over their targets, so a failure while
 * writing leaves no partial file and no changed one. (A rename failing midway, e.g. the
 * disk vanishing, can leave earlier files replaced: rename is atomic per file only.)
 */
export interface WrittenFile {
  readonly path: string;
  readonly bytes: number;
  readonly created: boolean;
}

export async function writeFilesAtomically(
  workspace: Workspace,
  paths: TouchedPaths,
  files: readonly FileToWrite[],
): Promise<WrittenFile[]> {
  const staged: StagedWrite[] = [];
  try {
    for (const file of files) staged.push(await stageWrite(workspace, paths, file));
  } catch (error) {
    await Promise.all(staged.map((s) => s.abort()));
    throw error;
  }
  for (let i = 0; i < staged.length; i++) {
    try {
      await staged[i].commit();
    } catch (error) {
      await Promise.all(staged.slice(i + 1).map((s) => s.abort()));
      throw error;
    }
  }
  return staged.map(({ rel, bytes, created }) => ({ path: rel, bytes, created }));
}

/**
 * Stages one file. The path is judged where it lands: through symlinked directories and a
 * symlinked file, the real target must pass the phase's rules (`paths.admit`), and an
 * existing target with several names (a hard link) is refused.
 */
export function stageWrite(
  workspace: Workspace,
  paths: TouchedPaths,
  file: FileToWrite,
): Promise<StagedWrite> {
  return stage(workspace, paths, workspace.relative(file.value, file.key), file, false);
}

async function stage(
  workspace: Workspace,
  paths: TouchedPaths,
  lexical: string,
  file: FileToWrite,
  viaSymlink: boolean,
): Promise<StagedWrite> {
  const label = `${file.key} '${file.value}'`;
  if (lexical === '.') throw toolFailed(`${label} is the workspace root, not a file`);
  const dir = await workspace.openDirectoryForWrite(posix.dirname(lexical), file.key, file.value);
  const name = posix.basename(lexical);
  const target = workspace.entry(dir, name);
  // Where the file lands once symlinked directories are followed.
  const rel = workspace.toRelative(posix.join(dir.real, name));
  let mode: number | undefined;
  let redirect: string | undefined;
  let existing: Buffer = Buffer.alloc(0);
  try {
    const stat = await lstat(target).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw fsFailure(error, label);
    });
    if (stat?.isSymbolicLink()) {
      // Write through a symlink to its target, if that is inside; the target has no symlinks,
      // so meeting one again means the tree changed under us.
      if (viaSymlink) throw outsideWorkspace(`${label} changed while it was written`);
      const real = await realpath(target).catch(async () => {
        await workspace.refuseDanglingEscape(target, dir.real, file.key, file.value);
        throw toolFailed(`${label} is a symlink to a missing file`);
      });
      if (!workspace.contains(real)) throw outsideWorkspace(`${label} resolves outside the workspace`);
      redirect = workspace.toRelative(real);
    } else if (stat?.isDirectory()) {
      throw toolFailed(`${label} is a directory`);
    } else if (stat && !stat.isFile()) {
      throw toolFailed(`${label} is not a regular file`);
    } else if (stat && stat.nlink > 1) {
      throw hardLinkRefused(label, stat.nlink);
    }
    if (redirect === undefined) paths.admit(rel, 'write', label);
    if (redirect === undefined && stat && file.mode === 'create') {
      throw toolFailed(`${label} exists (mode 'create' writes new files only)`);
    }
    if (redirect === undefined && stat && file.mode === 'append') {
      existing = await readExisting(target, label, file);
    }
    mode = stat ? stat.mode & 0o7777 : undefined;
  } catch (error) {
    await dir.handle.close().catch(() => undefined);
    throw error;
  }
  if (redirect !== undefined) {
    await dir.handle.close();
    return stage(workspace, paths, redirect, file, true);
  }
  const temp = `.tmp-${randomBytes(6).toString('hex')}-${name.slice(0, 64)}`;
  try {
    const handle = await open(workspace.entry(dir, temp), TEMP_FLAGS, 0o666);
    try {
      if (existing.length > 0) await handle.write(existing);
      await handle.write(file.content, null, 'utf8');
      // Replacing a file keeps its permissions (an executable script stays executable).
      if (mode !== undefined) await handle.chmod(mode);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await unlink(workspace.entry(dir, temp)).catch(() => undefined);
    await dir.handle.close().catch(() => undefined);
    throw fsFailure(error, label);
  }
  return pending(workspace, dir, temp, name, rel, file, mode === undefined);
}

function pending(
  workspace: Workspace,
  dir: OpenedDirectory,
  temp: string,
  name: string,
  rel: string,
  file: FileToWrite,
  created: boolean,
): StagedWrite {
  let settled = false;
  const finish = async (commit: boolean) => {
    if (settled) return;
    settled = true;
    try {
      // Both names are bound to the directory's descriptor: the rename lands where we checked.
      // `create` links instead, which fails if a file appeared there since the check.
      if (commit && file.mode === 'create') {
        await link(workspace.entry(dir, temp), workspace.entry(dir, name)).catch((error: unknown) => {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
            throw toolFailed(`${file.key} '${file.value}' exists (mode 'create' writes new files only)`);
          }
          throw error;
        });
        await unlink(workspace.entry(dir, temp));
      } else if (commit) await rename(workspace.entry(dir, temp), workspace.entry(dir, name));
      else await unlink(workspace.entry(dir, temp));
      // The directory entry itself must reach the disk for the new file to survive a crash.
      if (commit) await dir.handle.sync().catch(() => undefined);
    } catch (error) {
      await unlink(workspace.entry(dir, temp)).catch(() => undefined);
      if (commit && error instanceof DomainError) throw error;
      if (commit) throw fsFailure(error, `${file.key} '${file.value}'`);
    } finally {
      await dir.handle.close().catch(() => undefined);
    }
  };
  return {
    rel,
    bytes: Buffer.byteLength(file.content, 'utf8'),
    created,
    commit: () => finish(true),
    abort: () => finish(false),
  };
}

/**
 * The file `append` adds to, read without following a symlink planted since the check, and
 * refused when it changed kind or when the result would pass `maxBytes`.
 */
async function readExisting(target: string, label: string, file: FileToWrite): Promise<Buffer> {
  const max = file.maxBytes ?? Number.MAX_SAFE_INTEGER;
  const added = Buffer.byteLength(file.content, 'utf8');
  const handle = await open(target, READ_FLAGS).catch((error: unknown) => {
    throw fsFailure(error, label);
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw toolFailed(`${label} is not a regular file`);
    if (stat.nlink > 1) throw hardLinkRefused(label, stat.nlink);
    if (stat.size + added > max) {
      throw toolFailed(`appending to ${label} would make it ${stat.size + added} bytes; at most ${max}`);
    }
    // What the check measured, no more: a file growing meanwhile cannot pass the cap.
    return await readPrefix(handle, stat.size);
  } finally {
    await handle.close();
  }
}
