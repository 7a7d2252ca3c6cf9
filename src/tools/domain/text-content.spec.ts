import fc from 'fast-check';
import { clip, isBinary, splitLines, withoutPartialChar } from './text-content.js';

describe('text content helpers', () => {
  it('drops only an incomplete character at the end', () => {
    const text = Buffer.from('aé€😀', 'utf8'); // 1 + 2 + 3 + 4 bytes
    const cuts = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) =>
      withoutPartialChar(text.subarray(0, n)).toString(),
    );
    expect(cuts).toEqual(['a', 'a', 'aé', 'aé', 'aé', 'aé€', 'aé€', 'aé€', 'aé€', 'aé€😀']);
  });

  it('cuts any prefix of valid text at a character boundary', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.nat(), (text, n) => {
        const data = Buffer.from(text, 'utf8');
        const cut = withoutPartialChar(data.subarray(0, n % (data.length + 1)));
        // Decoding is lossless (no replacement character stands in for a cut sequence)...
        expect(Buffer.from(cut.toString('utf8'), 'utf8')).toEqual(cut);
        // ...and at most one character's bytes were given up.
        expect(cut.length).toBeGreaterThan((n % (data.length + 1)) - 4);
        expect(text.startsWith(cut.toString('utf8'))).toBe(true);
      }),
    );
  });

  it('calls data with a NUL byte binary', () => {
    expect(isBinary(Buffer.from('plain text\n'))).toBe(false);
    expect(isBinary(Buffer.from([0x41, 0x00, 0x42]))).toBe(true);
  });

  it('splits lines on LF and CRLF without a phantom last line', () => {
    expect(splitLines('a\r\nb\nc\n')).toEqual(['a', 'b', 'c']);
    expect(splitLines('a\n\nb')).toEqual(['a', '', 'b']);
    expect(clip('abcdef', 3)).toBe('abc…');
    expect(clip('abc', 3)).toBe('abc');
  });
});
