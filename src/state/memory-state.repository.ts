import type { StateOp } from './index/state-op.js';
import { IndexedStateRepository } from './indexed-state.repository.js';
import type { StateHealth } from './state.repository.js';

/** The state port in memory only: for tests and throwaway runs. Nothing survives the process. */
export class MemoryStateRepository extends IndexedStateRepository {
  protected persist(_ops: readonly StateOp[], _inverse: readonly StateOp[]): Promise<void> {
    return Promise.resolve();
  }

  async checkpoint(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async health(): Promise<StateHealth> {
    return {
      status: this.closed ? 'down' : 'up',
      backend: 'memory',
      details: { tasks: this.index.taskCount, durable: false },
    };
  }
}
