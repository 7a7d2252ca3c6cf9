/** A sorted set of creation positions that can be indexed by rank, as listing pages need. */
export interface RankedPositions {
  readonly size: number;
  /** How many members are below `position` (= rank of the first member ≥ it). */
  rank(position: number): number;
  /** The member of rank `k` (0 ≤ k < size). */
  select(k: number): number;
}

/** Every position in [0, length()): the creation order has no holes, so rank and position agree. */
export function everyPosition(length: () => number): RankedPositions {
  return {
    get size() {
      return length();
    },
    rank: (position) => Math.min(Math.max(Math.ceil(position), 0), length()) || 0,
    select: (k) => {
      if (!(k >= 0 && k < length())) throw new RangeError(`No position of rank ${k} in ${length()}`);
      return Math.floor(k);
    },
  };
}
