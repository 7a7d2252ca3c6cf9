import { randomUUID } from 'node:crypto';
import type { AuditEntryInput } from '../audit/domain/audit-entry.js';
import { ConflictError, NotFoundError } from '../common/domain/domain-error.js';
import { validateDependencies } from '../tasks/domain/dependency-graph.js';
import { claim, expireLease } from '../tasks/domain/task-state-machine.js';
import type { Task, WorkflowRef } from '../tasks/domain/task.model.js';
import { assertSameIdentity, staleTokenVersion } from './task-mutation-rules.js';
import { StateIndex } from './index/state-index.js';
import type { OutboxEntry, StateOp } from './index/state-op.js';
import { listTasks } from './list-tasks.js';
import { stateClosed } from './state-errors.js';
import {
  StateRepository,
  type ClaimRequest,
  type CreateOptions,
  type IdempotencyRecord,
  type LeaseExpiryRequest,
  type MutateOptions,
  type StatusCounts,
  type TaskListQuery,
  type TaskMutation,
  type TaskPage,
} from './state.repository.js';

/**
 * The port implemented over the shared in-memory `StateIndex`. Each mutation runs its
 * read-decide-apply step synchronously (so no other mutation interleaves: that is what makes
 * `claimNextEligible` atomic), then hands the ops to `persist`. Adapters differ only in
 * `persist`: the memory adapter has nothing to do; the file adapter journals the change and
 * rolls it back (`rollBack`) if the write fails.
 */
export abstract class IndexedStateRepository extends StateRepository {
  protected readonly index = new StateIndex();
  /** Outbox entries applied to the index whose write is not durable yet. */
  private readonly notDurable = new Set<string>();
  protected closed = false;
  /** Source of outbox change ids and of their time; adapters may inject their own. */
  protected changeId: () => string = randomUUID;
  protected now: () => number = Date.now;

  /**
   * Makes applied ops durable. `inverse` undoes them (apply in reverse order). The promise
   * resolves when the change is durable, or rejects after it was rolled back.
   */
  protected abstract persist(ops: readonly StateOp[], inverse: readonly StateOp[]): Promise<void>;

  async createTask(task: Task, options: CreateOptions = {}): Promise<Task> {
    this.assertOpen();
    if (this.index.getTask(task.id)) {
      throw new ConflictError('task_exists', `A task with id ${task.id} already exists`, {
        task_id: task.id,
      });
    }
    validateDependencies(task, {
      dependenciesOf: (id) => this.index.getTask(id)?.dependencies,
      hasDependants: (id) => this.index.hasDependants(id),
    });
    await this.commit([{ op: 'put_task', task }, ...this.outboxOps(options.audit && [options.audit(task)])]);
    return task;
  }

  async getTask(id: string): Promise<Task | null> {
    return this.index.getTask(id) ?? null;
  }

  async getTasks(ids: readonly string[]): Promise<Task[]> {
    return ids.flatMap((id) => this.index.getTask(id) ?? []);
  }

  async listTasks(query: TaskListQuery): Promise<TaskPage> {
    return listTasks(this.index, query);
  }

  async countByStatus(): Promise<StatusCounts> {
    return this.index.countByStatus();
  }

  async tasksHeldBy(agentId: string): Promise<Task[]> {
    return this.index.heldBy(agentId);
  }

  async claimNextEligible(request: ClaimRequest): Promise<Task | null> {
    this.assertOpen();
    const loaded = request.loadedWorkflows && new Set(request.loadedWorkflows.map(workflowKey));
    const id = this.index.ready.next(
      new Set(request.capabilities),
      request.now,
      loaded && ((candidate) => loaded.has(workflowKey(this.index.getTask(candidate)!.workflow))),
    );
    if (id === null) return null;
    const claimed = claim(this.index.getTask(id)!, request, { now: () => request.now });
    await this.commit([
      { op: 'put_task', task: claimed },
      ...this.outboxOps(request.audit && [request.audit(claimed)]),
    ]);
    return claimed;
  }

  async mutateTask(id: string, mutation: TaskMutation, options: MutateOptions = {}): Promise<Task> {
    this.assertOpen();
    const current = this.index.getTask(id);
    if (!current) throw new NotFoundError('task_not_found', `No task with id ${id}`);
    if (
      options.expectedTokenVersion !== undefined &&
      options.expectedTokenVersion !== current.token_version
    ) {
      throw staleTokenVersion(id, current.token_version);
    }
    const next = mutation(current);
    const ops: StateOp[] = [];
    if (next !== current) {
      assertSameIdentity(current, next);
      ops.push({ op: 'put_task', task: next });
    }
    if (options.remember) {
      const { key, expiresAt, response } = options.remember;
      ops.push({ op: 'put_idempotency', record: { key, expires_at: expiresAt, response: response(next) } });
    }
    ops.push(...this.outboxOps(options.audit && [options.audit(next)]));
    if (ops.length > 0) await this.commit(ops);
    return next;
  }

  async expireLeases({ now, retryBackoffMs, audit }: LeaseExpiryRequest): Promise<Task[]> {
    this.assertOpen();
    const clock = { now: () => now };
    const expired = this.index.leases
      .expiredBy(now)
      .map((id) => expireLease(this.index.getTask(id)!, { retryBackoffMs }, clock));
    if (expired.length > 0) {
      await this.commit([
        ...expired.map((task): StateOp => ({ op: 'put_task', task })),
        ...this.outboxOps(audit && expired.map(audit)),
      ]);
    }
    return expired;
  }

  async nextLeaseExpiry(): Promise<number | null> {
    return this.index.leases.earliest();
  }

  async addRevocation(jti: string, expiresAt: number, audit?: AuditEntryInput): Promise<boolean> {
    this.assertOpen();
    // Checked and applied to the index in one synchronous step: a racing call sees it revoked.
    if (this.index.isRevoked(jti)) return false;
    await this.commit([
      { op: 'put_revocation', jti, expires_at: expiresAt },
      ...this.outboxOps(audit && [audit]),
    ]);
    return true;
  }

  async pendingAudit(): Promise<readonly OutboxEntry[]> {
    // Only entries whose change is durable: one still being written may yet be lost in a crash,
    // and its entry must not reach the audit log without it.
    return this.index.pendingAudit().filter((e) => !this.notDurable.has(e.change_id));
  }

  async acknowledgeAudit(changeIds: readonly string[]): Promise<void> {
    this.assertOpen();
    const known = new Set(this.index.pendingAudit().map((e) => e.change_id));
    const ops = changeIds
      .filter((id) => known.has(id))
      .map((change_id): StateOp => ({ op: 'delete_outbox', change_id }));
    if (ops.length > 0) await this.commit(ops);
  }

  /** One process owns this store: its own schedule is the only one. */
  async claimMaintenance(): Promise<boolean> {
    this.assertOpen();
    return true;
  }

  async isRevoked(jti: string): Promise<boolean> {
    return this.index.isRevoked(jti);
  }

  async pruneRevocations(now: number): Promise<number> {
    this.assertOpen();
    const jtis = this.index.revocationsExpiredBy(now);
    if (jtis.length > 0) await this.commit(jtis.map((jti) => ({ op: 'delete_revocation', jti })));
    return jtis.length;
  }

  async putIdempotencyRecord(record: IdempotencyRecord, now: number): Promise<IdempotencyRecord> {
    this.assertOpen();
    const existing = this.index.getIdempotency(record.key);
    if (existing && existing.expires_at > now) return existing;
    await this.commit([{ op: 'put_idempotency', record }]);
    return record;
  }

  async getIdempotencyRecord(key: string, now: number): Promise<IdempotencyRecord | null> {
    const record = this.index.getIdempotency(key);
    return record && record.expires_at > now ? record : null;
  }

  async pruneIdempotencyRecords(now: number): Promise<number> {
    this.assertOpen();
    const keys = this.index.idempotencyExpiredBy(now);
    if (keys.length > 0) await this.commit(keys.map((key) => ({ op: 'delete_idempotency', key })));
    return keys.length;
  }

  /** Outbox entries for `entries` (none when undefined), each with its own change id. */
  private outboxOps(entries: readonly AuditEntryInput[] | undefined): StateOp[] {
    if (!entries) return [];
    const stored_at = new Date(this.now()).toISOString();
    return entries.map((entry) => ({
      op: 'put_outbox',
      entry: { change_id: this.changeId(), stored_at, entry },
    }));
  }

  /** Applies `ops` now (so later mutations see them) and waits until `persist` made them durable. */
  protected commit(ops: readonly StateOp[]): Promise<void> {
    const inverse = ops.map((op) => this.index.apply(op));
    const changeIds = ops.flatMap((op) => (op.op === 'put_outbox' ? [op.entry.change_id] : []));
    if (changeIds.length === 0) return this.persist(ops, inverse);
    for (const id of changeIds) this.notDurable.add(id);
    return this.persist(ops, inverse).finally(() => {
      for (const id of changeIds) this.notDurable.delete(id);
    });
  }

  /** Undoes changes whose write failed; `inverses` in the order they were applied. */
  protected rollBack(inverses: readonly (readonly StateOp[])[]): void {
    for (let i = inverses.length - 1; i >= 0; i--) {
      const ops = inverses[i]!;
      for (let j = ops.length - 1; j >= 0; j--) this.index.apply(ops[j]!);
    }
  }

  protected assertOpen(): void {
    if (this.closed) throw stateClosed();
  }
}

function workflowKey(ref: WorkflowRef): string {
  return `${ref.name}\u0000${ref.version}`;
}
