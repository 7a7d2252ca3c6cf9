import { randomUUID } from 'node:crypto';

/** Id source, injected so tests can make ids predictable. Its own injection token. */
export abstract class IdGenerator {
  abstract next(): string;
}

export const uuidGenerator: IdGenerator = { next: () => randomUUID() };

/** Predictable ids for tests: `prefix-1`, `prefix-2`, … */
export class SequentialIds implements IdGenerator {
  private n = 0;
  constructor(private readonly prefix = 'id') {}
  next(): string {
    this.n += 1;
    return `${this.prefix}-${this.n}`;
  }
}
