/** How much of a file decides whether it is text: what git and grep look at, roughly. */
const SNIFF_BYTES = 8192;

/** A NUL byte early in the file marks it binary (UTF-8 text never contains one). */
export function isBinary(data: Buffer): boolean {
  return data.subarray(0, SNIFF_BYTES).includes(0);
}

/**
 * `data` without a UTF-8 sequence cut short at its end, so a truncated file does not end in
 * a replacement character.
 */
export function withoutPartialChar(data: Buffer): Buffer {
  let lead = data.length - 1;
  // Back over continuation bytes (10xxxxxx) to the byte that starts the last character.
  while (lead >= 0 && data.length - lead < 4 && (data[lead] & 0xc0) === 0x80) lead--;
  if (lead < 0) return data;
  const byte = data[lead];
  const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
  return data.length - lead < length ? data.subarray(0, lead) : data;
}

/** `text` shortened to `max` characters, marked with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Lines of a text file: `\n` or `\r\n` endings; a final newline does not add an empty line. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
