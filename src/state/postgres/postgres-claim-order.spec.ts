import fc from 'fast-check';
import type pg from 'pg';
import { ManualClock } from '../../common/domain/clock.js';
import { SequentialIds } from '../../common/domain/ids.js';
import { createMigratedTestDatabase, type TestDatabase } from '../../database/testing/test-database.js';
import { createTask } from '../../tasks/domain/task-factory.js';
import { MemoryStateRepository } from '../memory-state.repository.js';
import type { StateRepository } from '../state.repository.js';
import { PostgresStateRepository } from './postgres-state.repository.js';

const T0 = Date.UTC(2026, 0, 1);
const CAPS = ['gpu', 'net', 'rust'];

const taskSpec = fc.record({
  // Mixed case and punctuation: ties on priority and age are broken by id in code-unit order.
  id: fc.stringMatching(/^[A-Za-z0-9_.-]{1,6}$/),
  priority: fc.integer({ min: 0, max: 2 }),
  capabilities: fc.subarray(CAPS),
  sameTimeAsPrevious: fc.boolean(),
});
const scenario = fc.record({
  tasks: fc.uniqueArray(taskSpec, { minLength: 1, maxLength: 25, selector: (t) => t.id }),
  agents: fc.array(fc.subarray(CAPS), { minLength: 1, maxLength: 30 }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

describe('postgres claim order equals the memory adapter’s', () => {
  let db: TestDatabase & { pool: pg.Pool };
  beforeAll(async () => {
    db = await createMigratedTestDatabase();
  });
  afterAll(() => db.drop());

  async function claimSequence(repo: StateRepository, input: Scenario): Promise<(string | null)[]> {
    const clock = new ManualClock(T0);
    const ids = new SequentialIds('t');
    for (const spec of input.tasks) {
      if (!spec.sameTimeAsPrevious) clock.advance(1);
      const base = createTask(
        {
          title: spec.id,
          workflow: { name: 'w', version: '1' },
          initialPhase: 'PLAN',
          maxAttempts: 1,
          createdBy: 'op',
          priority: spec.priority,
          capabilities: spec.capabilities,
        },
        { clock, ids },
      );
      await repo.createTask({ ...base, id: spec.id });
    }
    const order: (string | null)[] = [];
    for (const [i, capabilities] of input.agents.entries()) {
      const task = await repo.claimNextEligible({
        agentId: `a${i}`,
        capabilities,
        leaseMs: 1000,
        now: clock.now(),
      });
      order.push(task?.id ?? null);
    }
    return order;
  }

  it('for random task sets and agents, sequential claims hand out the same tasks in the same order', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (input) => {
        await db.pool.query('TRUNCATE tasks, task_dependencies, audit_outbox');
        const postgres = new PostgresStateRepository({ pool: db.pool });
        const expected = await claimSequence(new MemoryStateRepository(), input);
        expect(await claimSequence(postgres, input)).toEqual(expected);
        await postgres.close();
      }),
      { numRuns: 25 },
    );
  });
});
