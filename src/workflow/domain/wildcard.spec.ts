import fc from 'fast-check';
import { wildcardMatch } from './wildcard.js';

/** The regex the command policy compiled each pattern word to before (the reference semantics). */
function reference(pattern: string, text: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(text);
}

describe('wildcardMatch', () => {
  it.each([
    ['*.sh', 'build.sh', true],
    ['*.sh', 'build.sh.bak', false],
    ['npm:*', 'npm:test', true],
    ['--*=*x', '--a=bx', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['*', '', true],
    ['', '', true],
    ['', 'a', false],
    ['a*b*c', 'a-b-b-c', true],
    ['*.*.ts', 'x.ts', false],
    ['*', 'line\nbreak', false],
    ['a.b', 'aXb', false],
  ])('%j against %j is %s', (pattern, text, expected) => {
    expect(wildcardMatch(pattern, text)).toBe(expected);
    expect(reference(pattern, text)).toBe(expected);
  });

  it('says exactly what the regex said, for any pattern and text', () => {
    const chars = fc.constantFrom('a', 'b', '.', '*', '?', '\n', '\\', '(', '-');
    const word = (max: number) => fc.array(chars, { maxLength: max }).map((cs) => cs.join(''));
    // Pattern words come from splitting on whitespace: they never hold a line terminator.
    const patternWord = word(8).filter((w) => !w.includes('\n'));
    fc.assert(
      fc.property(
        patternWord,
        word(16),
        (pattern, text) => wildcardMatch(pattern, text) === reference(pattern, text),
      ),
      { numRuns: 20_000 },
    );
  });

  it('stays linear on a word built to make several stars backtrack (the regex took seconds)', () => {
    const hostile = '.'.repeat(100_000);
    const ordinary = 'x'.repeat(100_000);
    const time = (text: string) => {
      const started = performance.now();
      for (let i = 0; i < 5; i++) wildcardMatch('*.*.*.sh', text);
      return performance.now() - started;
    };
    time(ordinary); // warm up
    const baseline = Math.max(time(ordinary), 1);
    // O(text × pattern): a few times the ordinary word, where the regex is O(text³).
    expect(time(hostile) / baseline).toBeLessThan(50);
  });
});
