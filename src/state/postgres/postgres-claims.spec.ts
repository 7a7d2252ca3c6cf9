import { jest } from '@jest/globals';
import { ManualClock } from '../../common/domain/clock.js';
import { SequentialIds } from '../../common/domain/ids.js';
import { createMigratedTestDatabase, type TestDatabase } from '../../database/testing/test-database.js';
import { createTask } from '../../tasks/domain/task-factory.js';
import { transition } from '../../tasks/domain/task-state-machine.js';
import type { Task } from '../../tasks/domain/task.model.js';
import { rejectionCodeOf } from '../../../test/support/domain-errors.js';
import { PostgresStateRepository } from './postgres-state.repository.js';

const T0 = Date.UTC(2026, 0, 1);
const LEASE = 60_000;

describe('PostgresStateRepository under concurrency', () => {
  let db: TestDatabase & { pool: import('pg').Pool };
  let repo: PostgresStateRepository;
  let clock: ManualClock;
  let ids: SequentialIds;

  beforeEach(async () => {
    db = await createMigratedTestDatabase();
    repo = new PostgresStateRepository({ pool: db.pool });
    clock = new ManualClock(T0);
    ids = new SequentialIds('task');
  });

  afterEach(async () => {
    await repo.close();
    await db.drop();
  });

  async function addTasks(n: number): Promise<Task[]> {
    const tasks: Task[] = [];
    for (let i = 0; i < n; i++) {
      const task = createTask(
        {
          title: `t${i}`,
          workflow: { name: 'agent', version: '1' },
          initialPhase: 'PLAN',
          maxAttempts: 3,
          createdBy: 'op',
          priority: i % 4,
        },
        { clock, ids },
      );
      clock.advance(1);
      tasks.push(await repo.createTask(task));
    }
    return tasks;
  }

  const claimFor = (agentId: string) =>
    repo.claimNextEligible({ agentId, capabilities: [], leaseMs: LEASE, now: clock.now() });

  it('16 claimers draining 200 tasks on 8 connections claim every task exactly once', async () => {
    await addTasks(200);
    const claimedBy = new Map<string, string>();
    let doubleClaims = 0;
    const claimer = async (agent: string) => {
      for (let task = await claimFor(agent); task !== null; task = await claimFor(agent)) {
        if (claimedBy.has(task.id)) doubleClaims++;
        claimedBy.set(task.id, agent);
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, i) => claimer(`agent-${i}`)));
    expect(doubleClaims).toBe(0);
    expect(claimedBy.size).toBe(200);
    expect((await repo.countByStatus()).claimed).toBe(200);
    expect(new Set(claimedBy.values()).size).toBeGreaterThan(1); // the claimers did overlap
    for (const [id, agent] of claimedBy) {
      expect(await repo.getTask(id)).toMatchObject({ holder: agent, attempts: 1, token_version: 1 });
    }
  });

  it('two racing mutations with the same token version: exactly one commits, the other is stale', async () => {
    await addTasks(20);
    const tasks: Task[] = [];
    for (let i = 0; i < 20; i++) tasks.push((await claimFor(`agent-${i}`))!);
    const move = (task: Task, toPhase: string) =>
      repo.mutateTask(task.id, (t) => transition(t, { agentId: task.holder!, toPhase }, clock), {
        expectedTokenVersion: 1,
      });
    for (const task of tasks) {
      const results = await Promise.allSettled([move(task, 'TDD'), move(task, 'IMPLEMENT')]);
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected')!;
      expect(await rejectionCodeOf(Promise.reject((lost as PromiseRejectedResult).reason))).toBe(
        'stale_token_version',
      );
      const stored = (await repo.getTask(task.id))!;
      expect(stored.token_version).toBe(2);
      expect(stored.phase).toBe((won[0] as PromiseFulfilledResult<Task>).value.phase);
      expect(stored.history.filter((h) => h.action === 'transitioned')).toHaveLength(1);
    }
  });

  it('a heartbeat-like change racing a mutation without a token check is retried, not lost', async () => {
    const [task] = await addTasks(1);
    await claimFor('a1');
    const bumps = Array.from({ length: 10 }, () =>
      repo.mutateTask(task!.id, (t) => ({ ...t, priority: t.priority + 1 })),
    );
    await Promise.all(bumps);
    expect((await repo.getTask(task!.id))!.priority).toBe(task!.priority + 10);
  });

  it('expires more leases than one batch holds in one call, each once', async () => {
    await addTasks(450);
    for (let i = 0; i < 450; i++) await claimFor(`agent-${i}`);
    clock.advance(LEASE);
    const [first, second] = await Promise.all([
      repo.expireLeases({ now: clock.now(), retryBackoffMs: 1000 }),
      repo.expireLeases({ now: clock.now(), retryBackoffMs: 1000 }),
    ]);
    const expired = [...first!, ...second!].map((t) => t.id);
    expect(expired).toHaveLength(450);
    expect(new Set(expired).size).toBe(450);
    expect((await repo.countByStatus()).queued).toBe(450);
    expect(await repo.nextLeaseExpiry()).toBeNull();
  });

  it('gates maintenance: of racing processes one wins per period, and none before it is over', async () => {
    const other = new PostgresStateRepository({ pool: db.pool });
    const racers = Array.from({ length: 6 }, (_, i) => (i % 2 ? other : repo));
    const won = await Promise.all(racers.map((r) => r.claimMaintenance('prune', 60_000, T0)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(await repo.claimMaintenance('prune', 60_000, T0 + 59_999)).toBe(false);
    expect(await other.claimMaintenance('other-job', 60_000, T0 + 59_999)).toBe(true);
    expect(await other.claimMaintenance('prune', 60_000, T0 + 60_000)).toBe(true);
  });

  it('a change on a current basis is one statement on the pool, no transaction; a stale basis falls back to one', async () => {
    const [task] = await addTasks(1);
    await claimFor('a1');
    const basis = (await repo.getTask(task!.id))!;
    const connects = jest.spyOn(db.pool, 'connect');
    const queries = jest.spyOn(db.pool, 'query');
    try {
      const step = (to: string) => (t: Task) => transition(t, { agentId: 'a1', toPhase: to }, clock);
      const moved = await repo.mutateTask(task!.id, step('TDD'), { basis });
      expect(moved.phase).toBe('TDD');
      // One pool.query (which checks a client out itself), no transaction of ours.
      expect(queries).toHaveBeenCalledTimes(1);
      expect(connects).toHaveBeenCalledTimes(1);
      // `basis` is now stale (the row moved): the swap fails, then a transaction reads again.
      const again = await repo.mutateTask(task!.id, step('IMPL'), { basis });
      expect(again.phase).toBe('IMPL');
      expect(queries).toHaveBeenCalledTimes(2);
      expect(connects).toHaveBeenCalledTimes(3);
      expect((await repo.getTask(task!.id))!.token_version).toBe(again.token_version);
    } finally {
      connects.mockRestore();
      queries.mockRestore();
    }
  });
});
