/**
 * Control characters (C0, DEL, C1) and the Unicode bidirectional controls: in a terminal they move
 * the cursor, recolour, rewrite the title, or make text read backwards.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from the server (titles, reasons, messages an agent wrote) as it may reach a terminal: on
 * one line, every control character shown as a `\uXXXX` escape, so an agent cannot forge table rows
 * or send escape sequences to the operator's terminal.
 */
export function terminalText(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `value` with `terminalText` applied to every string in it, keys included (for whole answers). */
export function terminalSafe<T>(value: T): T {
  if (typeof value === 'string') return terminalText(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => terminalSafe(item)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [terminalText(key), terminalSafe(item)]),
    ) as T;
  }
  return value;
}
