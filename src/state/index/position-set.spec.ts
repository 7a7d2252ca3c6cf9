import fc from 'fast-check';
import { PositionSet } from './position-set.js';
import { everyPosition } from './ranked-positions.js';

type Op = { kind: 'add' | 'delete' | 'closeGap'; position: number };

const op: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('add' as const, 'add' as const, 'delete' as const, 'closeGap' as const),
  // Crosses the initial capacity (64) so growth is exercised.
  position: fc.integer({ min: 0, max: 200 }),
});

describe('PositionSet', () => {
  it('answers has/size/rank/select like a sorted array under adds, deletes and gap closing (property)', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 300 }),
        fc.array(fc.integer({ min: -2, max: 260 })),
        (ops, probes) => {
          const set = new PositionSet();
          let model: number[] = [];
          for (const { kind, position } of ops) {
            if (kind === 'add') {
              set.add(position);
              if (!model.includes(position)) model = [...model, position].sort((a, b) => a - b);
            } else if (kind === 'delete') {
              expect(set.delete(position)).toBe(model.includes(position));
              model = model.filter((p) => p !== position);
            } else if (!model.includes(position)) {
              set.closeGap(position);
              model = model.map((p) => (p > position ? p - 1 : p));
            }
          }
          expect(set.size).toBe(model.length);
          model.forEach((p, k) => {
            expect(set.select(k)).toBe(p);
            expect(set.has(p)).toBe(true);
          });
          for (const probe of probes) {
            expect(set.rank(probe)).toBe(model.filter((p) => p < probe).length);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses to select outside its ranks and to close the gap over a member', () => {
    const set = new PositionSet();
    set.add(3);
    expect(() => set.select(1)).toThrow(RangeError);
    expect(() => set.select(-1)).toThrow(RangeError);
    expect(() => set.closeGap(3)).toThrow();
    expect(set.rank(Number.POSITIVE_INFINITY)).toBe(1);
  });
});

describe('everyPosition', () => {
  it('ranks and selects positions 0..length-1 as themselves', () => {
    let length = 5;
    const all = everyPosition(() => length);
    expect([all.size, all.rank(3), all.rank(9), all.rank(-1), all.select(4)]).toEqual([5, 3, 5, 0, 4]);
    length = 2;
    expect(all.size).toBe(2);
    expect(() => all.select(2)).toThrow(RangeError);
  });
});
