import { terminalSafe, terminalText } from './terminal-text.js';

describe('terminalText', () => {
  it('keeps ordinary text, including non-ASCII letters and symbols', () => {
    expect(terminalText('Plan → TDD: café ✓')).toBe('Plan → TDD: café ✓');
  });

  it('escapes newlines, escape sequences, C1 controls and bidi overrides', () => {
    expect(terminalText('a\nfake-row  queued')).toBe('a\\u000afake-row  queued');
    expect(terminalText('\u001b]0;pwned\u0007\u001b[2J')).toBe('\\u001b]0;pwned\\u0007\\u001b[2J');
    expect(terminalText('x\u009by\r\tz\u007f')).toBe('x\\u009by\\u000d\\u0009z\\u007f');
    expect(terminalText('evil\u202etxt.exe')).toBe('evil\\u202etxt.exe');
  });
});

describe('terminalSafe', () => {
  it('escapes every string of an answer, keys included, and keeps other values', () => {
    expect(
      terminalSafe({
        title: 'a\nb',
        n: 3,
        ok: true,
        none: null,
        list: ['\u001b[31m'],
        'k\r': { x: '\u0007' },
      }),
    ).toEqual({
      title: 'a\\u000ab',
      n: 3,
      ok: true,
      none: null,
      list: ['\\u001b[31m'],
      'k\\u000d': { x: '\\u0007' },
    });
  });
});
