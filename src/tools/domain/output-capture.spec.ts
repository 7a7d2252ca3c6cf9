import fc from 'fast-check';
import { CappedOutput } from './output-capture.js';

function capture(limit: number, parts: ReadonlyArray<string | Uint8Array>) {
  const out = new CappedOutput(limit);
  for (const part of parts) out.push(Buffer.from(part));
  return out.snapshot();
}

describe('CappedOutput', () => {
  it('keeps everything up to the limit, even a character split across chunks', () => {
    expect(capture(10, ['hello', 'world'])).toEqual({ text: 'helloworld', dropped: 0 });
    const euro = Buffer.from('€');
    expect(capture(4, ['a', euro.subarray(0, 1), euro.subarray(1)])).toEqual({ text: 'a€', dropped: 0 });
  });

  it('keeps the head and the tail and counts the middle', () => {
    expect(capture(6, ['abc', 'defg', 'hij', 'klmn'])).toEqual({
      text: 'abc\n[… 8 bytes dropped …]\nlmn',
      dropped: 8,
    });
  });

  it('drops a character cut by the gap rather than garbling it', () => {
    // head "a" + first byte of "é"; tail: last byte of "é" + "z".
    expect(capture(4, ['aé', 'xxxx', 'éz'])).toEqual({ text: 'a\n[… 8 bytes dropped …]\nz', dropped: 8 });
  });

  it('accounts for every byte for any input and chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 50 })),
        fc.integer({ min: 1, max: 100 }),
        (chunks, limit) => {
          const all = Buffer.concat(chunks);
          const { text, dropped } = capture(limit, chunks);
          if (all.length <= limit) {
            expect(dropped).toBe(0);
            expect(text).toBe(all.toString('utf8'));
          } else {
            expect(text.split(`\n[… ${dropped} bytes dropped …]\n`)).toHaveLength(2);
            // Only whole characters are lost at the edges: up to 3 bytes each side.
            expect(dropped).toBeGreaterThanOrEqual(all.length - limit);
            expect(dropped).toBeLessThanOrEqual(all.length - limit + 6);
          }
        },
      ),
    );
  });

  it('keeps the exact bytes of text output', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 80 }),
        fc.integer({ min: 4, max: 60 }),
        (s, limit) => {
          const all = Buffer.from(s, 'utf8');
          const { text, dropped } = capture(limit, [all.subarray(0, 7), all.subarray(7)]);
          if (dropped === 0) {
            expect(text).toBe(s);
            return;
          }
          const [head, tail] = text.split(`\n[… ${dropped} bytes dropped …]\n`);
          expect(s.startsWith(head)).toBe(true);
          expect(s.endsWith(tail)).toBe(true);
          expect(Buffer.byteLength(head) + Buffer.byteLength(tail) + dropped).toBe(all.length);
        },
      ),
    );
  });
});
