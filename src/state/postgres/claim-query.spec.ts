import type pg from 'pg';
import { ManualClock } from '../../common/domain/clock.js';
import { SequentialIds } from '../../common/domain/ids.js';
import { createMigratedTestDatabase, type TestDatabase } from '../../database/testing/test-database.js';
import { createTask } from '../../tasks/domain/task-factory.js';
import { lockNextEligible } from './claim-query.js';
import { PostgresStateRepository } from './postgres-state.repository.js';

const T0 = Date.UTC(2026, 0, 1);
const WORKFLOW = { name: "o'brien\\flow", version: '1' };

/** The claim inlines its values as literals: text that SQL would misread must still match exactly. */
describe('lockNextEligible with values SQL would misread', () => {
  let db: TestDatabase & { pool: pg.Pool };
  beforeEach(async () => {
    db = await createMigratedTestDatabase();
    const repo = new PostgresStateRepository({ pool: db.pool });
    const clock = new ManualClock(T0);
    const ids = new SequentialIds('t');
    for (const capabilities of [
      ["it's", 'back\\slash'],
      ["it's", 'other'],
    ]) {
      const task = createTask(
        {
          title: 'x',
          workflow: WORKFLOW,
          initialPhase: 'PLAN',
          maxAttempts: 3,
          createdBy: 'op',
          capabilities,
        },
        { clock, ids },
      );
      clock.advance(1);
      await repo.createTask(task);
    }
  });
  afterEach(() => db.drop());

  async function candidate(capabilities: string[], workflows = [WORKFLOW]): Promise<string | null> {
    const client = await db.pool.connect();
    try {
      // lockNextEligible opens the transaction itself (BEGIN is in its text).
      const row = await lockNextEligible(client, { capabilities, now: T0 + 10, loadedWorkflows: workflows });
      await client.query('ROLLBACK');
      return row?.doc.id ?? null;
    } finally {
      client.release();
    }
  }

  it('matches quotes and backslashes in capabilities and workflow names exactly', async () => {
    await expect(candidate(["it's", 'back\\slash'])).resolves.toBe('t-1');
    await expect(candidate(["it's", 'other'])).resolves.toBe('t-2');
    await expect(candidate(["it''s", 'back\\\\slash', 'other'])).resolves.toBeNull();
    await expect(candidate(["it's", 'other'], [{ name: "o'brien", version: '1' }])).resolves.toBeNull();
  });

  it('ignores a capability holding a NUL, which no stored task can require', async () => {
    await expect(candidate(["it's", 'back\\slash', 'nul\u0000'])).resolves.toBe('t-1');
    await expect(candidate(["'); DROP TABLE tasks; --\u0000", "it's", 'other'])).resolves.toBe('t-2');
  });
});
