import { type AuditReadHandle } from './audit-fs.js';

/** One line of a file, without its newline. */
export interface RawLine {
  readonly bytes: Buffer;
  /** Whether a newline followed (false only for a last line cut short). */
  readonly newline: boolean;
  /** Byte offset of the line's start. */
  readonly offset: number;
}

const NL = 0x0a;

/** Lines of the first `limit` bytes, first to last, with 1-based line numbers. */
export async function* forwardLines(
  handle: AuditReadHandle,
  limit: number,
  chunkSize = 256 * 1024,
): AsyncGenerator<RawLine & { readonly line: number }> {
  let carry: Buffer = Buffer.alloc(0);
  let carryOffset = 0;
  let position = 0;
  let line = 0;
  while (position < limit) {
    const chunk = await handle.read(position, Math.min(chunkSize, limit - position));
    if (chunk.length === 0) break;
    position += chunk.length;
    const data = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
    let start = 0;
    for (let nl = data.indexOf(NL); nl !== -1; nl = data.indexOf(NL, start)) {
      yield { bytes: data.subarray(start, nl), newline: true, offset: carryOffset + start, line: ++line };
      start = nl + 1;
    }
    carry = data.subarray(start);
    carryOffset += start;
  }
  if (carry.length > 0) yield { bytes: carry, newline: false, offset: carryOffset, line: line + 1 };
}

/**
 * Lines of the first `limit` bytes, last to first (for newest-first queries and reading the
 * tail at start-up without reading the whole file).
 */
export async function* backwardLines(
  handle: AuditReadHandle,
  limit: number,
  chunkSize = 64 * 1024,
): AsyncGenerator<RawLine> {
  let position = limit;
  /** Bytes from `position` up to the end of the line being assembled (its start not read yet). */
  let carry: Buffer = Buffer.alloc(0);
  /** The first piece found is the one after the file's last newline: no newline follows it. */
  let atEnd = true;
  while (position > 0) {
    const start = Math.max(0, position - chunkSize);
    const chunk = await handle.read(start, position - start);
    position = start;
    const data = carry.length === 0 ? chunk : Buffer.concat([chunk, carry]);
    let end = data.length;
    while (end > 0) {
      const nl = data.lastIndexOf(NL, end - 1);
      if (nl === -1) break;
      const piece = data.subarray(nl + 1, end);
      if (!atEnd) yield { bytes: piece, newline: true, offset: position + nl + 1 };
      else if (piece.length > 0) yield { bytes: piece, newline: false, offset: position + nl + 1 };
      atEnd = false;
      end = nl;
    }
    carry = data.subarray(0, end);
  }
  if (atEnd) {
    if (carry.length > 0) yield { bytes: carry, newline: false, offset: 0 };
  } else {
    yield { bytes: carry, newline: true, offset: 0 };
  }
}
