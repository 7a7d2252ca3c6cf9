import { type FileReader } from './read-descriptor.js';
import { withoutPartialChar } from './text-content.js';

/** Which lines of a file: skip `offset` lines (0-based, as the earlier SDK sends), keep `limit`. */
export interface LineWindowRequest {
  readonly offset: number;
  /** Lines to return; absent for all that follow. */
  readonly limit?: number;
}

export interface LineWindowCaps {
  /** Bytes of content returned; the window is cut there and marked truncated. */
  readonly maxBytes: number;
  /** Bytes of the file read to find the window; past them it stops, marked truncated. */
  readonly maxScanBytes: number;
}

export interface LineWindow {
  readonly content: Buffer;
  /** Lines in `content` (a last line without a newline counts). */
  readonly lines: number;
  /** A cap, not the window's end or the file's, stopped the read. */
  readonly truncated: boolean;
  /** Bytes of the file read to find and return the window. */
  readonly scanned: number;
}

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * Reads a window of lines in chunks, never holding more than the window (up to `maxBytes`)
 * and one chunk, and never reading past `maxScanBytes`, so an offset deep into a huge file
 * costs bounded time and memory.
 */
export async function readLineWindow(
  handle: FileReader,
  size: number,
  request: LineWindowRequest,
  caps: LineWindowCaps,
): Promise<LineWindow> {
  const chunk = Buffer.alloc(CHUNK);
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let complete = 0;
  let skipped = 0;
  let position = 0;
  let truncated = false;
  let done = false;
  const wanted = request.limit ?? Number.POSITIVE_INFINITY;
  while (!done && position < size) {
    if (position >= caps.maxScanBytes) {
      truncated = true;
      break;
    }
    const length = Math.min(CHUNK, size - position, caps.maxScanBytes - position);
    const { bytesRead } = await handle.read(chunk, 0, length, position);
    if (bytesRead === 0) break;
    position += bytesRead;
    let i = 0;
    while (skipped < request.offset && i < bytesRead) {
      const nl = chunk.indexOf(NEWLINE, i);
      if (nl < 0 || nl >= bytesRead) i = bytesRead;
      else {
        skipped++;
        i = nl + 1;
      }
    }
    while (skipped >= request.offset && i < bytesRead && complete < wanted) {
      const nl = chunk.indexOf(NEWLINE, i);
      const end = nl < 0 || nl >= bytesRead ? bytesRead : nl + 1;
      const room = caps.maxBytes - keptBytes;
      if (end - i > room) {
        kept.push(Buffer.from(chunk.subarray(i, i + room)));
        keptBytes += room;
        truncated = true;
        done = true;
        break;
      }
      kept.push(Buffer.from(chunk.subarray(i, end)));
      keptBytes += end - i;
      if (end === nl + 1) complete++;
      i = end;
    }
    if (complete >= wanted) done = true;
  }
  const joined = Buffer.concat(kept, keptBytes);
  const content = truncated ? withoutPartialChar(joined) : joined;
  return { content, lines: countLines(content), truncated, scanned: position };
}

function countLines(content: Buffer): number {
  if (content.length === 0) return 0;
  let count = 0;
  for (let i = content.indexOf(NEWLINE); i >= 0; i = content.indexOf(NEWLINE, i + 1)) count++;
  return content[content.length - 1] === NEWLINE ? count : count + 1;
}
