/** JavaScript's line terminators, which `.` in a regex (and so a pattern's `*` and `?`) never matches. */
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

/**
 * Whether `text` matches a command-pattern word, where `*` is any run of characters (also none)
 * and `?` one character, neither matching a line terminator; everything else is literal. The
 * pattern is one word split on whitespace, so it holds no line terminator itself.
 * Exactly what `^…$` with `.*` and `.` would say, but greedy with one backtrack point: at worst
 * O(text × pattern), where the regex of a word with several `*` backtracks polynomially in the
 * length of an agent's 100 KB word (`*.*.sh`: 20 s). Hand-written: glob libraries compile to the
 * same backtracking regexes.
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  if (LINE_TERMINATOR.test(text)) return false; // patterns are single words: nothing matches one
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    const c = pattern[p];
    if (p < pattern.length && c !== '*' && (c === '?' || c === text[t])) {
      p++;
      t++;
    } else if (c === '*') {
      star = p++;
      mark = t;
    } else if (star !== -1) {
      // Let the last `*` take one more character and retry what follows it.
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
