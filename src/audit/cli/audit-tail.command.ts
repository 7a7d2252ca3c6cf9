import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { listRotated } from '../file/audit-files.js';
import { nodeAuditFs, type AuditReadHandle } from '../file/audit-fs.js';
import { readEntry } from '../file/audit-log-reader.js';
import { backwardLines } from '../file/line-reader.js';
import { processIo, type AuditCliIo } from './audit-cli-io.js';

export interface TailCommandOptions {
  /** The configured `audit.audit_file`, resolved. */
  readonly auditFile: string;
  /** How many of the latest entries to print first (default 10). */
  readonly count?: number;
  /** Keep printing new entries (following rotation) until `signal` aborts. */
  readonly follow?: boolean;
  readonly signal?: AbortSignal;
  /** How often --follow looks for new lines (default 250 ms). */
  readonly pollMs?: number;
  readonly io?: AuditCliIo;
}

/**
 * `audit tail [-n N] [--follow]`: prints the last N entries, oldest first, one JSON line each
 * (as written); damaged lines are skipped. Read-only: safe while the server writes.
 */
export async function runAuditTail(options: TailCommandOptions): Promise<number> {
  const io = options.io ?? processIo;
  const count = options.count ?? 10;
  let current = await openIfExists(options.auditFile);
  const size = current ? (await current.stat()).size : 0;
  const latest = await lastLines(options.auditFile, current, size, count);
  for (const line of latest) io.out(line);
  if (!options.follow) {
    await current?.close();
    return 0;
  }
  let offset = size;
  let carry = '';
  /** Prints the complete lines appended to `current` since `offset`; returns its inode. */
  const drain = async (handle: FileHandle): Promise<number> => {
    const now = await handle.stat();
    if (now.size > offset) {
      const text = carry + (await readRange(handle, offset, now.size - offset)).toString('utf8');
      offset = now.size;
      const end = text.lastIndexOf('\n');
      carry = text.slice(end + 1);
      for (const line of text.slice(0, end + 1).split('\n')) {
        if (line !== '' && readEntry(Buffer.from(line)) !== null) io.out(line);
      }
    }
    return now.ino;
  };
  try {
    while (!options.signal?.aborted) {
      if (current) {
        const ino = await drain(current);
        const atPath = await stat(options.auditFile).catch(() => null);
        if (atPath !== null && atPath.ino !== ino) {
          // Rotated: finish the old file (the writer renames it only after its last write), then switch.
          await drain(current);
          await current.close();
          current = null;
        }
      }
      if (!current) {
        current = await openIfExists(options.auditFile);
        offset = 0;
        carry = '';
        if (current) continue;
      }
      await sleep(options.pollMs ?? 250, undefined, { signal: options.signal }).catch(() => undefined);
    }
  } finally {
    await current?.close();
  }
  return 0;
}

/** The last `count` intact lines: the current file up to `size`, then rotated files, newest first. */
async function lastLines(
  auditFile: string,
  current: FileHandle | null,
  size: number,
  count: number,
): Promise<string[]> {
  const found: string[] = [];
  const collect = async (handle: AuditReadHandle) => {
    for await (const { bytes } of backwardLines(handle, handle.size)) {
      if (found.length >= count) return;
      if (readEntry(bytes) !== null) found.push(bytes.toString('utf8'));
    }
  };
  if (current && count > 0) await collect(readHandle(current, size));
  const rotated = await listRotated(nodeAuditFs, auditFile);
  for (let i = rotated.length - 1; i >= 0 && found.length < count; i--) {
    const handle = await nodeAuditFs.openRead(rotated[i]!.path);
    if (!handle) continue;
    try {
      await collect(handle);
    } finally {
      await handle.close();
    }
  }
  return found.reverse();
}

async function openIfExists(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function readRange(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

function readHandle(handle: FileHandle, size: number): AuditReadHandle {
  return {
    size,
    read: (position, length) => readRange(handle, position, length),
    close: async () => undefined,
  };
}
