import { constants } from 'node:fs';
import { dirname } from 'node:path';
import { copyFile, mkdir, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';

/** An open file as the state store uses it. */
export interface StateFileHandle {
  /** Writes all of `data` at the end (append) or current position (create). */
  write(data: Buffer): Promise<void>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The file-system operations of the state store: the boundary where durability happens, kept
 * injectable so tests can count fsyncs or make a real write fail with ENOSPC on demand.
 */
export interface StateFs {
  mkdirp(dir: string): Promise<void>;
  /** The file's bytes, or null when it does not exist. */
  readFile(path: string): Promise<Buffer | null>;
  /** `append`: create if missing, write at the end. `create`: create or truncate. */
  open(path: string, mode: 'append' | 'create'): Promise<StateFileHandle>;
  rename(from: string, to: string): Promise<void>;
  copyFile(from: string, to: string): Promise<void>;
  /** Removes a file; a missing file is fine. */
  unlink(path: string): Promise<void>;
  /** fsync of a directory, making renames and creations in it durable. */
  syncDir(dir: string): Promise<void>;
}

class NodeFileHandle implements StateFileHandle {
  constructor(private readonly handle: FileHandle) {}

  async write(data: Buffer): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await this.handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  sync(): Promise<void> {
    return this.handle.sync();
  }

  truncate(length: number): Promise<void> {
    return this.handle.truncate(length);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export const nodeStateFs: StateFs = {
  async mkdirp(dir) {
    await mkdir(dir, { recursive: true });
  },
  async readFile(path) {
    try {
      return await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  },
  async open(path, mode) {
    const flags =
      mode === 'append'
        ? constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND
        : constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC;
    return new NodeFileHandle(await open(path, flags, 0o640));
  },
  rename: (from, to) => rename(from, to),
  copyFile: (from, to) => copyFile(from, to),
  async unlink(path) {
    try {
      await unlink(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  },
  async syncDir(dir) {
    const handle = await open(dir, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/**
 * The rename of an atomic write happened but making it durable (directory fsync) failed:
 * the new file is probably in place, and callers must not assume either version.
 */
export class AfterRenameError extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'AfterRenameError';
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    if (code) (this as NodeJS.ErrnoException).code = code;
  }
}

/** Writes a file atomically: temp file, fsync, rename, directory fsync. */
export async function writeFileAtomic(
  fs: StateFs,
  path: string,
  write: (handle: StateFileHandle) => Promise<void>,
  durable = true,
): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  const handle = await fs.open(temp, 'create');
  try {
    await write(handle);
    if (durable) await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temp, path);
  } catch (error) {
    await fs.unlink(temp).catch(() => undefined);
    throw error;
  }
  if (!durable) return;
  try {
    await fs.syncDir(dirname(path));
  } catch (error) {
    throw new AfterRenameError(error);
  }
}
