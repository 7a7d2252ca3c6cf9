import { open, readdir, statfs } from 'node:fs/promises';
import { nodeStateFs, type StateFs } from '../../state/file/state-fs.js';

/** A file opened for reading, with its size when opened. */
export interface AuditReadHandle {
  readonly size: number;
  /** Up to `length` bytes at `position` (fewer only at the end of the file). */
  read(position: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/**
 * The file-system boundary of the audit store: the state store's operations (append handles
 * with write/datasync/truncate, rename, unlink, directory fsync) plus what reading a log of
 * rotated files needs. Injectable, so tests count fdatasyncs and inject EACCES/ENOSPC/EROFS.
 */
export interface AuditFs extends StateFs {
  /** Names in `dir`; a missing directory has none. */
  list(dir: string): Promise<string[]>;
  /** Null when the file does not exist. */
  openRead(path: string): Promise<AuditReadHandle | null>;
  /** Bytes available to this user on the file system holding `dir`. */
  freeBytes(dir: string): Promise<number>;
}

export const nodeAuditFs: AuditFs = {
  ...nodeStateFs,
  async list(dir) {
    try {
      return await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  },
  async openRead(path) {
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const { size } = await handle.stat().catch(async (error: unknown) => {
      await handle.close();
      throw error;
    });
    return {
      size,
      async read(position, length) {
        const buffer = Buffer.allocUnsafe(length);
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return filled === length ? buffer : buffer.subarray(0, filled);
      },
      close: () => handle.close(),
    };
  },
  async freeBytes(dir) {
    const stats = await statfs(dir);
    return stats.bavail * stats.bsize;
  },
};
