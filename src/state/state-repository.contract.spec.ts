import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../common/domain/clock.js';
import { SequentialIds } from '../common/domain/ids.js';
import { createTask, type NewTaskInput } from '../tasks/domain/task-factory.js';
import { recordBlocked } from '../tasks/domain/blocked-on.js';
import {
  cancel,
  complete,
  fail,
  heartbeat,
  release,
  requeue,
  transition,
} from '../tasks/domain/task-state-machine.js';
import type { Task } from '../tasks/domain/task.model.js';
import { createMigratedTestDatabase } from '../database/testing/test-database.js';
import { FileStateRepository } from './file/file-state.repository.js';
import { PostgresStateRepository } from './postgres/postgres-state.repository.js';
import { MemoryStateRepository } from './memory-state.repository.js';
import type { StateRepository } from './state.repository.js';
import { rejectionCodeOf } from '../../test/support/domain-errors.js';

const T0 = Date.UTC(2026, 0, 1);
const LEASE = 60_000;
const BACKOFF = 30_000;

interface Harness {
  repo: StateRepository;
  cleanup(): Promise<void>;
}

const adapters: [string, () => Promise<Harness>][] = [
  [
    'memory',
    async () => {
      const repo = new MemoryStateRepository();
      return { repo, cleanup: () => repo.close() };
    },
  ],
  [
    'file',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'state-contract-'));
      const repo = await FileStateRepository.open({ stateFile: join(dir, 'state.json') });
      return {
        repo,
        cleanup: async () => {
          await repo.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  [
    'postgres',
    async () => {
      const db = await createMigratedTestDatabase();
      const repo = new PostgresStateRepository({ pool: db.pool });
      return {
        repo,
        cleanup: async () => {
          await repo.close();
          await db.drop();
        },
      };
    },
  ],
];

describe.each(adapters)('StateRepository contract: %s adapter', (_name, makeHarness) => {
  let harness: Harness;
  let repo: StateRepository;
  let clock: ManualClock;
  let ids: SequentialIds;

  beforeEach(async () => {
    harness = await makeHarness();
    repo = harness.repo;
    clock = new ManualClock(T0);
    ids = new SequentialIds('task');
  });

  afterEach(() => harness.cleanup());

  function newTask(overrides: Partial<NewTaskInput> = {}): Task {
    const task = createTask(
      {
        title: 'task',
        workflow: { name: 'agent', version: '1' },
        initialPhase: 'PLAN',
        maxAttempts: 2,
        createdBy: 'op',
        ...overrides,
      },
      { clock, ids },
    );
    clock.advance(1); // distinct created_at, so order by age is observable
    return task;
  }

  const add = (overrides: Partial<NewTaskInput> = {}) => repo.createTask(newTask(overrides));
  const claimFor = (agentId: string, capabilities: string[] = []) =>
    repo.claimNextEligible({ agentId, capabilities, leaseMs: LEASE, now: clock.now() });

  describe('audit outbox', () => {
    const entry = (action: string, task_id?: string) => ({
      actor: 'op',
      action,
      decision: 'allowed',
      success: true,
      ...(task_id ? { task_id } : {}),
    });

    it('stores each change’s audit entry with it, with its own change id, until acknowledged', async () => {
      const created = await repo.createTask(newTask(), { audit: (t) => entry('task.create', t.id) });
      const claimed = await repo.claimNextEligible({
        agentId: 'a1',
        capabilities: [],
        leaseMs: LEASE,
        now: clock.now(),
        audit: (t) => entry('task.claim', t.id),
      });
      await repo.mutateTask(created.id, (t) => heartbeat(t, { agentId: 'a1', leaseMs: LEASE }, clock), {
        audit: (t) => entry('task.heartbeat', t.id),
      });
      await repo.addRevocation('jti-1', clock.now() + 1000, entry('token.revoke'));
      clock.advance(LEASE + 1);
      const expired = await repo.expireLeases({
        now: clock.now(),
        retryBackoffMs: BACKOFF,
        audit: (t) => entry('task.lease_expired', t.id),
      });
      expect(claimed!.id).toBe(created.id);
      expect(expired).toHaveLength(1);
      const pending = await repo.pendingAudit();
      expect(pending.map((p) => p.entry.action)).toEqual([
        'task.create',
        'task.claim',
        'task.heartbeat',
        'token.revoke',
        'task.lease_expired',
      ]);
      expect(new Set(pending.map((p) => p.change_id)).size).toBe(5);
      for (const p of pending) expect(Date.parse(p.stored_at)).not.toBeNaN();
      await repo.acknowledgeAudit([pending[0]!.change_id, pending[3]!.change_id, 'unknown']);
      expect((await repo.pendingAudit()).map((p) => p.entry.action)).toEqual([
        'task.claim',
        'task.heartbeat',
        'task.lease_expired',
      ]);
    });

    it('a refused mutation stores no entry', async () => {
      const task = await add();
      await expect(
        repo.mutateTask(task.id, (t) => t, { expectedTokenVersion: 99, audit: () => entry('task.x') }),
      ).rejects.toThrow();
      await expect(repo.mutateTask('nope', (t) => t, { audit: () => entry('task.x') })).rejects.toThrow();
      await expect(repo.createTask(task, { audit: () => entry('task.create') })).rejects.toThrow();
      expect(await repo.pendingAudit()).toEqual([]);
    });

    it('pending entries survive a checkpoint', async () => {
      await repo.createTask(newTask(), { audit: (t) => entry('task.create', t.id) });
      await repo.checkpoint();
      expect((await repo.pendingAudit()).map((p) => p.entry.action)).toEqual(['task.create']);
    });
  });

  describe('tasks', () => {
    it('stores, returns frozen snapshots, lists and counts', async () => {
      const a = await add({ title: 'a' });
      await add({ title: 'b', priority: 3 });
      const got = (await repo.getTask(a.id))!;
      expect(got).toEqual(a);
      expect(() => {
        (got as { title: string }).title = 'changed';
      }).toThrow(TypeError);
      expect(await repo.getTask('nope')).toBeNull();
      expect((await repo.getTasks(['task-2', 'nope', 'task-1'])).map((t) => t.id)).toEqual([
        'task-2',
        'task-1',
      ]);
      expect(await repo.countByStatus()).toEqual({
        queued: 2,
        claimed: 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
      });
    });

    it('validates dependencies atomically: unknown, self-cycle, duplicate id', async () => {
      const a = await add();
      expect(await rejectionCodeOf(add({ dependencies: [a.id, 'ghost'] }))).toBe('unknown_dependency');
      const self = { ...newTask(), id: 'loop', dependencies: ['loop'] };
      expect(await rejectionCodeOf(repo.createTask(self))).toBe('dependency_cycle');
      expect(await rejectionCodeOf(repo.createTask({ ...newTask(), id: a.id }))).toBe('task_exists');
      expect((await repo.listTasks({})).total).toBe(1);
    });

    it('lists with filters, offset and cursor pages, and totals', async () => {
      for (let i = 0; i < 7; i++) await add({ title: `t${i}` });
      await claimFor('agent-1');
      await claimFor('agent-2');
      const queued = await repo.listTasks({ status: 'queued', limit: 2 });
      expect(queued.total).toBe(5);
      expect(queued.tasks.map((t) => t.id)).toEqual(['task-3', 'task-4']);
      const page2 = await repo.listTasks({ status: 'queued', limit: 2, cursor: queued.next_cursor! });
      expect(page2.tasks.map((t) => t.id)).toEqual(['task-5', 'task-6']);
      const page3 = await repo.listTasks({ status: 'queued', limit: 2, cursor: page2.next_cursor! });
      expect(page3).toMatchObject({ total: 5, next_cursor: null });
      expect(page3.tasks.map((t) => t.id)).toEqual(['task-7']);
      expect((await repo.listTasks({ offset: 5, limit: 10 })).tasks.map((t) => t.id)).toEqual([
        'task-6',
        'task-7',
      ]);
      expect((await repo.listTasks({ agentId: 'agent-2' })).tasks.map((t) => t.id)).toEqual(['task-2']);
      expect((await repo.listTasks({ phase: 'PLAN' })).total).toBe(7);
      expect(await rejectionCodeOf(repo.listTasks({ cursor: 'garbage' }))).toBe('invalid_cursor');
    });
  });

  describe('claimNextEligible', () => {
    it('passes over tasks pinned to a workflow version not loaded and leaves them queued', async () => {
      const pinnedAway = await add({ priority: 9, workflow: { name: 'agent', version: 'retired' } });
      const next = await add({ priority: 1 });
      const loadedWorkflows = [
        { name: 'agent', version: '1' },
        { name: 'other', version: 'retired' },
      ];
      const request = { capabilities: [], leaseMs: LEASE, now: clock.now(), loadedWorkflows };
      expect((await repo.claimNextEligible({ ...request, agentId: 'a1' }))?.id).toBe(next.id);
      expect(await repo.claimNextEligible({ ...request, agentId: 'a2' })).toBeNull();
      expect((await repo.getTask(pinnedAway.id))!.status).toBe('queued');
      expect(
        (await repo.claimNextEligible({ ...request, agentId: 'a3', loadedWorkflows: undefined }))?.id,
      ).toBe(pinnedAway.id);
    });

    it('hands out by priority, then age, honouring capabilities, dependencies and backoff', async () => {
      const low = await add({ priority: 1 });
      const highOld = await add({ priority: 5 });
      const highNew = await add({ priority: 5 });
      const gpu = await add({ priority: 9, capabilities: ['gpu'] });
      const dependant = await add({ priority: 10, dependencies: [low.id] });

      expect((await claimFor('a1'))!.id).toBe(highOld.id);
      expect((await claimFor('a2', ['gpu']))!.id).toBe(gpu.id);
      expect((await claimFor('a3'))!.id).toBe(highNew.id);
      const lowClaim = (await claimFor('a4'))!;
      expect(lowClaim.id).toBe(low.id);
      expect(await claimFor('a5', ['gpu'])).toBeNull(); // dependant waits for `low`

      await repo.mutateTask(low.id, (t) => release(t, { agentId: 'a4', retryBackoffMs: BACKOFF }, clock));
      expect(await claimFor('a5')).toBeNull(); // low is backing off, dependant still blocked
      clock.advance(BACKOFF);
      const again = (await claimFor('a5'))!;
      expect(again).toMatchObject({ id: low.id, attempts: 2 });
      await repo.mutateTask(low.id, (t) => complete(t, { agentId: 'a5' }, clock));
      expect((await claimFor('a6'))!.id).toBe(dependant.id);
      expect(await claimFor('a7', ['gpu'])).toBeNull();
    });

    it('hands each of 20 tasks out exactly once to 50 parallel claims', async () => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => add({ priority: i % 3 })));
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => claimFor(`agent-${i}`)));
      const claimed = results.filter((t): t is Task => t !== null);
      expect(claimed).toHaveLength(20);
      expect(new Set(claimed.map((t) => t.id)).size).toBe(20);
      expect(new Set(claimed.map((t) => t.holder)).size).toBe(20);
      expect((await repo.countByStatus()).claimed).toBe(20);
      for (const task of claimed) expect((await repo.getTask(task.id))!.holder).toBe(task.holder);
    });
  });

  describe('leases, retries and resume', () => {
    it('expires leases into backoff, counts attempts, fails after max_attempts', async () => {
      const task = await add({ maxAttempts: 2 });
      const first = (await claimFor('a1'))!;
      expect(await repo.nextLeaseExpiry()).toBe(Date.parse(first.lease_expires_at!));
      clock.advance(LEASE - 1);
      expect(await repo.expireLeases({ now: clock.now(), retryBackoffMs: BACKOFF })).toEqual([]);
      await repo.mutateTask(task.id, (t) => heartbeat(t, { agentId: 'a1', leaseMs: LEASE }, clock));
      clock.advance(LEASE - 1);
      expect(await repo.expireLeases({ now: clock.now(), retryBackoffMs: BACKOFF })).toEqual([]);
      clock.advance(1);
      const [expired] = await repo.expireLeases({ now: clock.now(), retryBackoffMs: BACKOFF });
      expect(expired).toMatchObject({ id: task.id, status: 'queued', attempts: 1, holder: null });
      expect(await repo.nextLeaseExpiry()).toBeNull();
      expect(await claimFor('a2')).toBeNull(); // backing off
      clock.advance(BACKOFF);
      expect((await claimFor('a2'))!.attempts).toBe(2);
      clock.advance(LEASE);
      const [failed] = await repo.expireLeases({ now: clock.now(), retryBackoffMs: BACKOFF });
      expect(failed).toMatchObject({ status: 'failed', attempts: 2 });
      expect((await repo.countByStatus()).failed).toBe(1);
      expect(await claimFor('a3')).toBeNull();
    });

    it('tasksHeldBy: the claimed tasks of one holder, in creation order, kept across changes', async () => {
      const [first, second, third] = [await add(), await add(), await add()];
      await claimFor('a1');
      await claimFor('a2');
      await claimFor('a1');
      expect((await repo.tasksHeldBy('a1')).map((t) => t.id)).toEqual([first.id, third.id]);
      expect((await repo.tasksHeldBy('a2')).map((t) => t.id)).toEqual([second.id]);
      await repo.mutateTask(first.id, (t) => release(t, { agentId: 'a1', retryBackoffMs: BACKOFF }, clock));
      expect((await repo.tasksHeldBy('a1')).map((t) => t.id)).toEqual([third.id]);
      await repo.mutateTask(third.id, (t) => complete(t, { agentId: 'a1' }, clock));
      expect(await repo.tasksHeldBy('a1')).toEqual([]);
      expect(await repo.tasksHeldBy('nobody')).toEqual([]);
    });

    it('a new holder resumes at the last phase with the earlier artifacts', async () => {
      const task = await add({ maxAttempts: 3 });
      await claimFor('a1');
      await repo.mutateTask(task.id, (t) =>
        transition(t, { agentId: 'a1', toPhase: 'TDD', artifacts: { plan: { steps: ['x'] } } }, clock),
      );
      await repo.mutateTask(task.id, (t) =>
        fail(t, { agentId: 'a1', reason: 'crashed', retryBackoffMs: BACKOFF }, clock),
      );
      clock.advance(BACKOFF);
      const resumed = (await claimFor('a2'))!;
      expect(resumed).toMatchObject({
        id: task.id,
        holder: 'a2',
        phase: 'TDD',
        attempts: 2,
        artifacts: { PLAN: { plan: { steps: ['x'] } } },
      });
      expect(resumed.history.map((h) => h.action)).toEqual([
        'created',
        'claimed',
        'transitioned',
        'failed',
        'claimed',
      ]);
    });
  });

  describe('operator views and requeue (issue 20)', () => {
    const blocker = { check: 'artifact_required', severity: 'blocking' as const, message: 'plan is missing' };

    it('stores blocked_on with the task and the audit entry in one mutation, the token version kept', async () => {
      const task = await add();
      const held = (await claimFor('a1'))!;
      const blocked = await repo.mutateTask(
        task.id,
        (t) => recordBlocked(t, { toPhase: 'TDD', gateId: 'plan_ready', blockers: [blocker] }, clock.now()),
        {
          audit: (t) => ({
            actor: 'a1',
            action: 'task.transition',
            decision: 'blocked',
            success: false,
            task_id: t.id,
          }),
        },
      );
      const expected = {
        at: new Date(clock.now()).toISOString(),
        phase: 'PLAN',
        to_phase: 'TDD',
        gate_id: 'plan_ready',
        blocker_details: [blocker],
      };
      expect(blocked.blocked_on).toEqual(expected);
      expect(blocked.token_version).toBe(held.token_version);
      expect((await repo.getTask(task.id))!.blocked_on).toEqual(expected);
      expect((await repo.listTasks({ status: 'claimed' })).tasks[0]!.blocked_on).toEqual(expected);
      expect((await repo.pendingAudit()).map((p) => p.entry.decision)).toContain('blocked');
      const moved = await repo.mutateTask(task.id, (t) =>
        transition(t, { agentId: 'a1', toPhase: 'TDD' }, clock),
      );
      expect(moved.blocked_on).toBeNull();
      expect((await repo.getTask(task.id))!.blocked_on).toBeNull();
    });

    it('keeps the last heartbeat of the holder', async () => {
      const task = await add();
      await claimFor('a1');
      clock.advance(5000);
      await repo.mutateTask(task.id, (t) => heartbeat(t, { agentId: 'a1', leaseMs: LEASE }, clock));
      const stamp = new Date(clock.now()).toISOString();
      expect((await repo.getTask(task.id))!.last_heartbeat_at).toBe(stamp);
      expect((await repo.tasksHeldBy('a1'))[0]!.last_heartbeat_at).toBe(stamp);
    });

    it('a requeued failed or cancelled task is queued, counted and claimable again', async () => {
      const failing = await add({ maxAttempts: 1 });
      const cancelled = await add();
      await claimFor('a1');
      await repo.mutateTask(failing.id, (t) =>
        fail(t, { agentId: 'a1', reason: 'boom', retryBackoffMs: BACKOFF }, clock),
      );
      await repo.mutateTask(cancelled.id, (t) => cancel(t, { actor: 'op' }, clock));
      expect(await repo.countByStatus()).toMatchObject({ failed: 1, cancelled: 1, queued: 0 });
      expect(await claimFor('a2')).toBeNull();

      await repo.mutateTask(failing.id, (t) => requeue(t, { actor: 'op' }, clock));
      await repo.mutateTask(cancelled.id, (t) => requeue(t, { actor: 'op', resetAttempts: false }, clock));
      expect(await repo.countByStatus()).toMatchObject({ failed: 0, cancelled: 0, queued: 2 });
      expect((await repo.listTasks({ status: 'queued' })).tasks.map((t) => t.id)).toEqual([
        failing.id,
        cancelled.id,
      ]);
      const again = (await claimFor('a2'))!;
      expect(again).toMatchObject({ id: failing.id, holder: 'a2', attempts: 1 });
      expect(again.history.map((h) => h.action)).toEqual([
        'created',
        'claimed',
        'failed',
        'requeued',
        'claimed',
      ]);
      expect((await claimFor('a3'))!.id).toBe(cancelled.id);
    });
  });

  describe('mutateTask', () => {
    it('refuses unknown tasks and stale token versions; a throwing mutation changes nothing', async () => {
      const task = await add();
      await claimFor('a1');
      expect(await rejectionCodeOf(repo.mutateTask('ghost', (t) => t))).toBe('task_not_found');
      // An id is never SQL: quotes and backslashes are just characters of an unknown id.
      for (const id of ["it's", 'back\\slash', "x'; DELETE FROM tasks; --"])
        expect(await rejectionCodeOf(repo.mutateTask(id, (t) => t))).toBe('task_not_found');
      expect(await repo.getTask(task.id)).not.toBeNull();
      expect(
        await rejectionCodeOf(
          repo.mutateTask(task.id, (t) => heartbeat(t, { agentId: 'a1', leaseMs: 1 }, clock), {
            expectedTokenVersion: 0,
          }),
        ),
      ).toBe('stale_token_version');
      const before = await repo.getTask(task.id);
      expect(
        await rejectionCodeOf(
          repo.mutateTask(task.id, (t) => transition(t, { agentId: 'intruder', toPhase: 'X' }, clock)),
        ),
      ).toBe('not_holder');
      expect(await repo.getTask(task.id)).toEqual(before);
      expect(await rejectionCodeOf(repo.mutateTask(task.id, (t) => ({ ...t, id: 'other' })))).toBe(
        'invalid_mutation',
      );
    });

    it('a basis read before another change moved the task: the mutation runs again on the task as it is', async () => {
      const task = await add();
      await claimFor('a1');
      const basis = (await repo.getTask(task.id))!;
      // Another request moves the task after the caller read it.
      await repo.mutateTask(task.id, (t) => transition(t, { agentId: 'a1', toPhase: 'TDD' }, clock));
      const seen: string[] = [];
      const audit = (t: Task) => ({
        actor: 'a1',
        action: 'task.transition',
        decision: 'allowed',
        success: true,
        task_id: t.id,
        phase: t.phase,
      });
      const moved = await repo.mutateTask(
        task.id,
        (t) => {
          seen.push(t.phase);
          return transition(t, { agentId: 'a1', toPhase: 'IMPL' }, clock);
        },
        { basis, audit },
      );
      expect(seen.at(-1)).toBe('TDD');
      expect(moved.phase).toBe('IMPL');
      expect(await repo.getTask(task.id)).toEqual(moved);
      // One audit entry for the change that committed, none for the attempt on the old basis.
      expect((await repo.pendingAudit()).filter((p) => p.entry.action === 'task.transition')).toHaveLength(1);
      // A basis that is still current: the change applies once, the task moves one step.
      const current = (await repo.getTask(task.id))!;
      const next = await repo.mutateTask(
        task.id,
        (t) => transition(t, { agentId: 'a1', toPhase: 'REVIEW' }, clock),
        {
          basis: current,
          audit,
        },
      );
      expect(next.phase).toBe('REVIEW');
      expect(await repo.getTask(task.id)).toEqual(next);
      expect((await repo.pendingAudit()).filter((p) => p.entry.action === 'task.transition')).toHaveLength(2);
    });

    it('a basis whose token version went stale is refused as stale, whatever the basis said', async () => {
      const task = await add();
      await claimFor('a1');
      const basis = (await repo.getTask(task.id))!;
      await repo.mutateTask(task.id, (t) => transition(t, { agentId: 'a1', toPhase: 'TDD' }, clock));
      expect(
        await rejectionCodeOf(
          repo.mutateTask(task.id, (t) => transition(t, { agentId: 'a1', toPhase: 'IMPL' }, clock), {
            basis,
            expectedTokenVersion: basis.token_version,
          }),
        ),
      ).toBe('stale_token_version');
    });

    it('stores an idempotent response in the same atomic change', async () => {
      const task = await add();
      await claimFor('a1');
      const moved = await repo.mutateTask(
        task.id,
        (t) => transition(t, { agentId: 'a1', toPhase: 'TDD' }, clock),
        {
          expectedTokenVersion: 1,
          remember: { key: 'req-1', expiresAt: T0 + 10_000, response: (t) => ({ phase: t.phase }) },
        },
      );
      expect(moved.phase).toBe('TDD');
      expect(await repo.getIdempotencyRecord('req-1', T0)).toEqual({
        key: 'req-1',
        expires_at: T0 + 10_000,
        response: { phase: 'TDD' },
      });
    });
  });

  describe('revocations and idempotency records', () => {
    it('revokes a jti once: a repeated or racing revocation answers false and stores no audit entry', async () => {
      const entry = (action: string) => ({ actor: 'op', action, decision: 'allowed', success: true });
      const [a, b] = await Promise.all([
        repo.addRevocation('jti-1', T0 + 1000, entry('token.refresh')),
        repo.addRevocation('jti-1', T0 + 1000, entry('token.refresh')),
      ]);
      expect([a, b].sort()).toEqual([false, true]);
      expect(await repo.addRevocation('jti-1', T0 + 1000, entry('token.revoke'))).toBe(false);
      expect((await repo.pendingAudit()).map((p) => p.entry.action)).toEqual(['token.refresh']);
    });

    it('lets the first caller of a period run a maintenance job', async () => {
      expect(await repo.claimMaintenance('prune', 60_000, T0)).toBe(true);
      expect(await repo.claimMaintenance('prune', 60_000, T0 + 60_000)).toBe(true);
    });

    it('revokes, answers and prunes after expiry', async () => {
      await repo.addRevocation('jti-1', T0 + 1000);
      await repo.addRevocation('jti-2', T0 + 5000);
      expect(await repo.isRevoked('jti-1')).toBe(true);
      expect(await repo.isRevoked('jti-3')).toBe(false);
      expect(await repo.pruneRevocations(T0 + 1000)).toBe(1);
      expect(await repo.isRevoked('jti-1')).toBe(false);
      expect(await repo.isRevoked('jti-2')).toBe(true);
    });

    it('keeps the first live response per key, expires and prunes', async () => {
      const first = { key: 'k', response: { n: 1 }, expires_at: T0 + 100 };
      expect(await repo.putIdempotencyRecord(first, T0)).toEqual(first);
      expect(await repo.putIdempotencyRecord({ ...first, response: { n: 2 } }, T0 + 50)).toEqual(first);
      expect(await repo.getIdempotencyRecord('k', T0 + 99)).toEqual(first);
      expect(await repo.getIdempotencyRecord('k', T0 + 100)).toBeNull();
      const second = { key: 'k', response: { n: 3 }, expires_at: T0 + 500 };
      expect(await repo.putIdempotencyRecord(second, T0 + 100)).toEqual(second);
      await repo.putIdempotencyRecord({ key: 'old', response: null, expires_at: T0 }, T0 - 1);
      expect(await repo.pruneIdempotencyRecords(T0 + 100)).toBe(1);
      expect(await repo.getIdempotencyRecord('k', T0 + 100)).toEqual(second);
    });
  });

  it('reports health and refuses changes once closed', async () => {
    expect((await repo.health()).status).toBe('up');
    await repo.close();
    expect((await repo.health()).status).toBe('down');
    expect(await rejectionCodeOf(add())).toBe('state_closed');
    expect(await rejectionCodeOf(claimFor('a'))).toBe('state_closed');
  });
});
