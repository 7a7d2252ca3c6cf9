/**
 * The nesting depth of a parsed JSON value (a scalar is 0, `[]` and `{}` are 1), counted without
 * recursion and giving up as soon as it passes `limit`: a body nested 100,000 levels deep parses
 * fine but overflows the stack of every recursive walker after it (class-transformer, Ajv, audit
 * canonicalisation), so it is refused before any of them see it.
 */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Deepest nesting a request body may have; artifacts need a handful of levels. */
export const MAX_JSON_DEPTH = 64;
