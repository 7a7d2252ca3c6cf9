import fc from 'fast-check';
import { SortedList } from './sorted-list.js';

describe('SortedList', () => {
  it('stays equal to a sorted array under random inserts and removes (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 300 })), { maxLength: 2000 }),
        (ops) => {
          const list = new SortedList<number>((a, b) => a - b, 4);
          const model = new Set<number>();
          for (const [insert, value] of ops) {
            if (insert && !model.has(value)) {
              list.insert(value);
              model.add(value);
            } else if (!insert) {
              expect(list.remove(value)).toBe(model.delete(value));
            }
          }
          const sorted = [...model].sort((a, b) => a - b);
          expect([...list]).toEqual(sorted);
          expect(list.size).toBe(sorted.length);
          expect(list.first()).toBe(sorted[0]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
