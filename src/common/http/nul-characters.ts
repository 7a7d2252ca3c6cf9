/**
 * Whether a parsed JSON value holds U+0000 in any string or key (walked without recursion).
 * PostgreSQL's text and jsonb cannot store it: taken in, one such character from an agent would
 * fail every write it is part of (the audit batch, the event batch), so it is refused at the door
 * on every backend, the same way.
 */
export function containsNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === 'string') {
      if (node.includes('\u0000')) return true;
    } else if (Array.isArray(node)) {
      for (const child of node) stack.push(child);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key.includes('\u0000')) return true;
        stack.push(child);
      }
    }
  }
  return false;
}

/** A URL whose path or query would decode to U+0000 (`%00`), refused for the same reason. */
export function urlHasEncodedNul(url: string): boolean {
  return /%00/i.test(url);
}
