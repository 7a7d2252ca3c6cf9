import type pg from 'pg';

/**
 * The process's one pool, shared by the postgres adapters (state, audit, events). Each adapter
 * `use()`s it and `release()`s it when it closes; the pool ends with the last release, so the
 * order in which Nest runs shutdown hooks cannot end it under a store still flushing.
 */
export class SharedDatabase {
  private users = 0;
  private ended: Promise<void> | null = null;

  constructor(readonly pool: pg.Pool) {}

  use(): pg.Pool {
    this.users += 1;
    return this.pool;
  }

  async release(): Promise<void> {
    this.users -= 1;
    if (this.users > 0) return;
    this.ended ??= this.pool.end().catch(() => undefined);
    await this.ended;
  }
}
