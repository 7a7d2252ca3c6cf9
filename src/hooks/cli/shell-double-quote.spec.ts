import { execFileSync } from 'node:child_process';
import { shellDoubleQuote } from './shell-double-quote.js';

const echo = (word: string, env: Record<string, string> = {}) =>
  execFileSync('/bin/sh', ['-c', `printf '%s' ${word}`], {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', ...env },
  });

describe('shellDoubleQuote', () => {
  it('expands plain variables only', () => {
    expect(echo(shellDoubleQuote('$P/a/${P}/b'), { P: '/proj' })).toBe('/proj/a//proj/b');
  });

  it('keeps command substitution, backquotes, quotes, backslashes and parameter tricks literal', () => {
    for (const value of ['$(id)', '`id`', 'a"; id; "', 'back\\slash', '${P:-$(id)}', '$1$?$$', 'trailing$']) {
      expect(echo(shellDoubleQuote(value), { P: '' })).toBe(value);
    }
  });
});
