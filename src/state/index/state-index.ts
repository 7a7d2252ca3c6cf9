import { TASK_STATUSES, type Task, type TaskStatus } from '../../tasks/domain/task.model.js';
import type { IdempotencyRecord, StatusCounts } from '../state.repository.js';
import { deepFreeze } from './deep-freeze.js';
import { LeaseIndex } from './lease-index.js';
import { PositionSet } from './position-set.js';
import { everyPosition, type RankedPositions } from './ranked-positions.js';
import { ReadyQueue } from './ready-queue.js';
import type { OutboxEntry, StateMaps, StateOp } from './state-op.js';

/**
 * The in-memory state shared by the memory and file adapters: tasks, revocations and
 * idempotency records, plus the indexes that keep claims, lease sweeps, counts and listing
 * cheap. Every change goes through `apply`, which returns the op that undoes it.
 */
export class StateIndex {
  private readonly tasks = new Map<string, Task>();
  /** Task ids in creation order, and each id's position in it. */
  private readonly order: string[] = [];
  private readonly position = new Map<string, number>();
  /** Reverse dependency edges: task id → ids of tasks that depend on it. */
  private readonly dependants = new Map<string, Set<string>>();
  /** Per status, the creation positions of its tasks: listing pages and counts without a scan. */
  private readonly byStatus = new Map<TaskStatus, PositionSet>(
    TASK_STATUSES.map((s) => [s, new PositionSet()]),
  );
  private readonly allPositions = everyPosition(() => this.order.length);
  readonly ready = new ReadyQueue();
  readonly leases = new LeaseIndex();
  /** Holder → ids of the claimed tasks it holds: a claim looks up what its agent holds without a scan. */
  private readonly byHolder = new Map<string, Set<string>>();
  private readonly revocations = new Map<string, number>();
  private readonly idempotency = new Map<string, IdempotencyRecord>();
  private readonly outbox = new Map<string, OutboxEntry>();

  get taskCount(): number {
    return this.tasks.size;
  }

  getTask(id: string): Task | undefined {
    return this.tasks.get(id);
  }

  /** The claimed tasks `agentId` holds, in creation order. */
  heldBy(agentId: string): Task[] {
    const ids = [...(this.byHolder.get(agentId) ?? [])];
    return ids.sort((a, b) => this.position.get(a)! - this.position.get(b)!).map((id) => this.tasks.get(id)!);
  }

  hasDependants(id: string): boolean {
    return (this.dependants.get(id)?.size ?? 0) > 0;
  }

  countByStatus(): StatusCounts {
    return Object.fromEntries(TASK_STATUSES.map((s) => [s, this.byStatus.get(s)!.size])) as Record<
      TaskStatus,
      number
    >;
  }

  positionOf(id: string): number | undefined {
    return this.position.get(id);
  }

  /** The task created at `position` (0 ≤ position < taskCount). */
  taskAt(position: number): Task {
    return this.tasks.get(this.order[position]!)!;
  }

  /** Creation positions of the tasks with `status`, or of all tasks when it is undefined. */
  positions(status?: TaskStatus): RankedPositions {
    return status === undefined ? this.allPositions : this.byStatus.get(status)!;
  }

  isRevoked(jti: string): boolean {
    return this.revocations.has(jti);
  }

  revocationsExpiredBy(now: number): string[] {
    return [...this.revocations].filter(([, expiresAt]) => expiresAt <= now).map(([jti]) => jti);
  }

  getIdempotency(key: string): IdempotencyRecord | undefined {
    return this.idempotency.get(key);
  }

  /** Audit entries of stored changes waiting for the audit log, oldest first. */
  pendingAudit(): OutboxEntry[] {
    return [...this.outbox.values()];
  }

  idempotencyExpiredBy(now: number): string[] {
    return [...this.idempotency.values()].filter((r) => r.expires_at <= now).map((r) => r.key);
  }

  /** Applies `op` and returns its inverse. */
  apply(op: StateOp): StateOp {
    switch (op.op) {
      case 'put_task':
      case 'delete_task': {
        const id = op.op === 'put_task' ? op.task.id : op.id;
        const before = this.tasks.get(id);
        this.setTask(id, op.op === 'put_task' ? deepFreeze(op.task) : undefined);
        return before ? { op: 'put_task', task: before } : { op: 'delete_task', id };
      }
      case 'put_revocation':
      case 'delete_revocation': {
        const before = this.revocations.get(op.jti);
        if (op.op === 'put_revocation') this.revocations.set(op.jti, op.expires_at);
        else this.revocations.delete(op.jti);
        return before === undefined
          ? { op: 'delete_revocation', jti: op.jti }
          : { op: 'put_revocation', jti: op.jti, expires_at: before };
      }
      case 'put_idempotency':
      case 'delete_idempotency': {
        const key = op.op === 'put_idempotency' ? op.record.key : op.key;
        const before = this.idempotency.get(key);
        if (op.op === 'put_idempotency') this.idempotency.set(key, deepFreeze(op.record));
        else this.idempotency.delete(key);
        return before ? { op: 'put_idempotency', record: before } : { op: 'delete_idempotency', key };
      }
      case 'put_outbox':
      case 'delete_outbox': {
        const id = op.op === 'put_outbox' ? op.entry.change_id : op.change_id;
        const before = this.outbox.get(id);
        if (op.op === 'put_outbox') this.outbox.set(id, deepFreeze(op.entry));
        else this.outbox.delete(id);
        return before ? { op: 'put_outbox', entry: before } : { op: 'delete_outbox', change_id: id };
      }
    }
  }

  /** Copies of the plain maps (values shared: they are frozen). */
  exportMaps(): StateMaps {
    return {
      tasks: new Map(this.order.map((id) => [id, this.tasks.get(id)!])),
      revocations: new Map(this.revocations),
      idempotency: new Map(this.idempotency),
      outbox: new Map(this.outbox),
    };
  }

  private setTask(id: string, next: Task | undefined): void {
    const prev = this.tasks.get(id);
    if (prev) this.byStatus.get(prev.status)!.delete(this.position.get(id)!);
    if (next) this.tasks.set(id, next);
    else this.tasks.delete(id);
    if (!prev && next) {
      this.position.set(id, this.order.length);
      this.order.push(id);
    } else if (prev && !next) {
      this.forget(id);
    }
    if (next) this.byStatus.get(next.status)!.add(this.position.get(id)!);
    if (prev) for (const dep of prev.dependencies) this.dependants.get(dep)?.delete(id);
    if (next) for (const dep of next.dependencies) this.dependantsOf(dep).add(id);
    this.leases.remove(id);
    if (next?.status === 'claimed') this.leases.add(next);
    if (prev?.status === 'claimed' && prev.holder) this.forgetHolder(prev.holder, id);
    if (next?.status === 'claimed' && next.holder) this.holdingsOf(next.holder).add(id);
    this.refreshReady(id);
    if (prev?.status !== next?.status) {
      for (const dependant of this.dependants.get(id) ?? []) this.refreshReady(dependant);
    }
  }

  private refreshReady(id: string): void {
    const task = this.tasks.get(id);
    const ready =
      task !== undefined &&
      task.status === 'queued' &&
      task.dependencies.every((dep) => this.tasks.get(dep)?.status === 'completed');
    if (ready) this.ready.add(task);
    else this.ready.remove(id);
  }

  private holdingsOf(holder: string): Set<string> {
    let set = this.byHolder.get(holder);
    if (set === undefined) {
      set = new Set();
      this.byHolder.set(holder, set);
    }
    return set;
  }

  private forgetHolder(holder: string, id: string): void {
    const set = this.byHolder.get(holder);
    set?.delete(id);
    if (set?.size === 0) this.byHolder.delete(holder);
  }

  private dependantsOf(id: string): Set<string> {
    let set = this.dependants.get(id);
    if (set === undefined) {
      set = new Set();
      this.dependants.set(id, set);
    }
    return set;
  }

  /**
   * Drops `id` from the creation order (normally the last entry: undoing the latest create).
   * Later tasks move down one position, in the status sets too, so positions stay dense.
   */
  private forget(id: string): void {
    const at = this.position.get(id)!;
    this.order.splice(at, 1);
    this.position.delete(id);
    for (let i = at; i < this.order.length; i++) this.position.set(this.order[i]!, i);
    for (const set of this.byStatus.values()) set.closeGap(at);
  }
}
