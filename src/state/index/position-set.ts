import type { RankedPositions } from './ranked-positions.js';

/**
 * A set of non-negative integer positions over a Fenwick tree of membership counts, so `rank`,
 * `select`, `add` and `delete` all cost O(log capacity): a listing page then costs
 * O(limit · log n) however many tasks the store holds, where a sorted array would pay for
 * moving its tail on every status change in the middle.
 */
export class PositionSet implements RankedPositions {
  private bits = new Uint8Array(0);
  /** 1-based Fenwick tree: tree[i] counts members in positions [i - lowbit(i), i - 1]. */
  private tree = new Int32Array(1);
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(position: number): boolean {
    return this.bits[position] === 1;
  }

  add(position: number): void {
    if (position >= this.bits.length) this.grow(position + 1);
    if (this.bits[position] === 1) return;
    this.bits[position] = 1;
    this.count += 1;
    this.update(position, 1);
  }

  delete(position: number): boolean {
    if (this.bits[position] !== 1) return false;
    this.bits[position] = 0;
    this.count -= 1;
    this.update(position, -1);
    return true;
  }

  rank(position: number): number {
    let i = Math.min(Math.max(Math.ceil(position), 0), this.bits.length);
    let sum = 0;
    for (; i > 0; i -= i & -i) sum += this.tree[i]!;
    return sum;
  }

  select(k: number): number {
    if (!(k >= 0 && k < this.count)) throw new RangeError(`No member of rank ${k} in ${this.count}`);
    // Descend the tree: after the loop `at` is the largest index whose prefix count is ≤ k,
    // so the member sits at 1-based index at + 1, i.e. 0-based position `at`.
    let at = 0;
    let left = Math.floor(k);
    for (let step = highestPowerOfTwo(this.bits.length); step > 0; step >>>= 1) {
      const next = at + step;
      if (next <= this.bits.length && this.tree[next]! <= left) {
        at = next;
        left -= this.tree[next]!;
      }
    }
    return at;
  }

  /**
   * Closes the gap a removed slot leaves: every member above `position` moves down by one.
   * `position` must not be a member. O(capacity) unless no member lies above it; it is only
   * used to undo the newest create, where none does.
   */
  closeGap(position: number): void {
    if (this.bits[position] === 1) throw new Error(`Position ${position} is still a member`);
    if (this.rank(position) === this.count) return;
    this.bits.copyWithin(position, position + 1);
    this.bits[this.bits.length - 1] = 0;
    this.rebuild();
  }

  private update(position: number, delta: number): void {
    for (let i = position + 1; i <= this.bits.length; i += i & -i) this.tree[i]! += delta;
  }

  /** Doubles capacity (amortised O(1) per appended position) and rebuilds the tree. */
  private grow(minimum: number): void {
    let capacity = Math.max(this.bits.length, 64);
    while (capacity < minimum) capacity *= 2;
    const bits = new Uint8Array(capacity);
    bits.set(this.bits);
    this.bits = bits;
    this.tree = new Int32Array(capacity + 1);
    this.rebuild();
  }

  /** Linear-time construction from `bits`. */
  private rebuild(): void {
    const n = this.bits.length;
    this.tree.fill(0);
    for (let i = 1; i <= n; i++) {
      this.tree[i]! += this.bits[i - 1]!;
      const parent = i + (i & -i);
      if (parent <= n) this.tree[parent]! += this.tree[i]!;
    }
  }
}

function highestPowerOfTwo(n: number): number {
  let power = 1;
  while (power * 2 <= n) power *= 2;
  return n === 0 ? 0 : power;
}
